() => {
  // A session that has ended (left idle, or past its hours: bot/console/sessions.py) is refused with 401 on every
  // call, for which Gradio shows only "Error". Offer to reload instead: an ended session gets the login page, as a
  // signed-out user does. Asked first, since a reload loses text typed and not yet saved. Only Gradio's own calls
  // count; the login page never runs this script, so it cannot loop.
  const send = window.fetch.bind(window);
  let asking = false;
  window.fetch = async (...args) => {
    const response = await send(...args);
    const path = new URL(response.url || String(args[0]), window.location.href).pathname;
    if (response.status === 401 && !asking && path.includes("/gradio_api/")) {
      asking = true;
      const reload = window.confirm(
        "Your console session has ended (left idle, or signed out). Reload the page to sign in again? " +
          "Copy any text you have not saved first.",
      );
      if (reload) window.location.reload();
      else asking = false;
    }
    return response;
  };
}
