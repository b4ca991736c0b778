"""Settings: defaults, overridden by BOT_* environment variables, then by CLI flags."""

from pathlib import Path

import pytest

from bot.config import Settings


def test_environment_overrides_defaults_and_flags_override_environment():
    env = {"BOT_TOP_K": "5", "BOT_INDEX_DIR": "/srv/index", "BOT_SPELLING_CORRECTION": "off"}
    settings = Settings.from_env(env)
    assert settings.top_k == 5 and settings.index_dir == Path("/srv/index")
    assert settings.spelling_correction is False
    assert Settings.from_env(env, top_k=2, index_dir=None).top_k == 2
    assert Settings.from_env(env, index_dir=None).index_dir == Path("/srv/index")


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match=r"BOT_MIN_CONFIDENCE must be a number; got 'high'"):
        Settings.from_env({"BOT_MIN_CONFIDENCE": "high"})
