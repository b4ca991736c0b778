() => {
  // The visitor page's behaviour that Gradio lacks. Each reply lands at its start: the visitor's question at the
  // top of what is in view, or the urgent notice when both do not fit. Only this page's own boxes and window are
  // scrolled, never with scrollIntoView, which would also scroll a page embedding the chat.
  const CHOICE_PREFIX = __CHOICE_PREFIX__;
  const SETTLE_MS = 2500; // late content (the options, the thumbs) renders after the reply: land again meanwhile
  const MARGIN = 8;
  let landed = 0;
  let settleUntil = 0;
  let refocus = false; // a suggestion was clicked: its button goes with the old reply, the focus must not drop

  const chat = () => document.getElementById("answers");
  const all = (selector) => Array.from(document.querySelectorAll(selector));

  function visibleArea() {
    // The window, less what a sticky banner (top) or question box (bottom) covers once stuck (phones).
    let top = 0;
    let bottom = window.innerHeight;
    const banner = document.getElementById("disclaimer-banner");
    const ask = document.getElementById("ask-row");
    if (banner && getComputedStyle(banner).position === "sticky") top = banner.offsetHeight;
    if (ask && getComputedStyle(ask).position === "sticky") bottom -= ask.offsetHeight;
    return { top, bottom };
  }

  function chatBox() {
    // The conversation's own scrolling box (desktops), or null where the conversation is the page (phones).
    const log = chat()?.querySelector("[role='log']");
    for (let box = log; box && box !== chat().parentElement; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowY;
      if (overflow === "auto" || overflow === "scroll") return box;
    }
    return null;
  }

  function reveal(element) {
    // In the chat's own box the element goes to the box's top, and the window moves only if the element is out of
    // view; where the conversation is the page, the element goes to the top of the window's visible area.
    const box = chatBox();
    if (box) box.scrollTop += element.getBoundingClientRect().top - box.getBoundingClientRect().top - MARGIN;
    const area = visibleArea();
    const offset = element.getBoundingClientRect().top - area.top - MARGIN;
    const outOfView = offset < 0 || offset > area.bottom - area.top - 4 * MARGIN;
    if (Math.abs(offset) > 1 && (!box || outOfView)) window.scrollBy(0, offset);
  }

  // What the visitor types while an answer is on its way is kept: the reply empties the question box (it was
  // sent), which wiped what was typed since, so it is put back; an Enter or Ask pressed meanwhile, which Gradio
  // would ignore or send beside the question before (two answers racing for one conversation), is held back and
  // sends it once the reply is in. An emergency typed fast is not lost. An example is not sent meanwhile.
  const WAIT_MS = 120000; // a reply that never comes stops the waiting; an error shown (a refused request) at once
  const errorsShown = () => document.querySelectorAll(".toast-body.error").length;
  let errorsAtSend = 0;
  let waitingSince = 0;
  let sentText = ""; // the question on its way, still in the box until its reply
  let typed = "";
  let sendAfter = false;
  const questionBox = () => document.querySelector("#question textarea");
  const waiting = () => Date.now() - waitingSince < WAIT_MS;

  function sent(question, kept = "") {
    waitingSince = Date.now();
    errorsAtSend = errorsShown();
    sentText = question;
    typed = kept;
    sendAfter = false;
  }

  function putBackTyped() {
    const box = questionBox();
    const next = (typed.startsWith(sentText) ? typed.slice(sentText.length) : typed).trimStart();
    if (!box || !next || box.value) return;
    box.value = next;
    box.dispatchEvent(new Event("input", { bubbles: true })); // Gradio reads the box's value from this event
    typed = "";
    if (sendAfter) {
      sendAfter = false;
      setTimeout(() => {
        sent(box.value);
        document.getElementById("ask")?.click();
      }, 50);
    }
  }

  function failed() {
    // the question was refused or failed: it is still in the box with what was typed since, nothing is on its way
    if (!waitingSince || errorsShown() <= errorsAtSend) return;
    waitingSince = 0;
    typed = "";
    sendAfter = false;
  }

  function held(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  function replied() {
    if (!waitingSince) return;
    waitingSince = 0;
    putBackTyped();
    setTimeout(putBackTyped, 100); // should the box be emptied after the reply is drawn
  }

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.target !== questionBox() || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      if (!waiting()) return sent(event.target.value);
      held(event);
      sendAfter = true;
    },
    true,
  );
  document.addEventListener(
    "click",
    (event) => {
      if (!event.isTrusted || !event.target.closest?.("#ask, button.example")) return;
      const box = questionBox();
      if (waiting()) {
        held(event);
        if (event.target.closest("#ask")) sendAfter = true;
      } else if (event.target.closest("#ask")) sent(box?.value || "");
      else sent("", box?.value || ""); // an example: what was in the box is kept
    },
    true,
  );
  document.addEventListener(
    "input",
    (event) => {
      if (event.isTrusted && event.target === questionBox() && waiting()) typed = event.target.value;
    },
    true,
  );

  function land() {
    const replies = all("#answers [data-testid='bot']");
    if (replies.length > landed) {
      settleUntil = Date.now() + SETTLE_MS;
      if (refocus) questionBox()?.focus({ preventScroll: true });
      refocus = false;
      replied();
    }
    failed();
    landed = replies.length;
    if (!replies.length || Date.now() > settleUntil) return;
    const reply = replies[replies.length - 1];
    const question = all("#answers [data-testid='user']").pop();
    reveal(question || reply);
    const alert = reply.querySelector("[role='alert']");
    if (alert && alert.getBoundingClientRect().bottom > visibleArea().bottom) reveal(alert);
  }

  function name() {
    // Gradio names each message by its Markdown source ("fatigue\, fever\, …"): name it by the text shown.
    const messages = all("#answers [data-testid='bot'], #answers [data-testid='user']");
    for (const [index, message] of messages.entries()) {
      const who = message.dataset.testid === "user" ? "You asked: " : "Reply: ";
      // Earlier messages keep the name once given (Gradio sets its own only when a message changes): reading the
      // text of every message on each change of the page would slow a long conversation.
      if (index < messages.length - 2 && message.getAttribute("aria-label")?.startsWith(who)) continue;
      const shown = message.innerText.replace(/\s+/g, " ").trim();
      if (shown && message.getAttribute("aria-label") !== who + shown) message.setAttribute("aria-label", who + shown);
    }
    for (const option of all("#answers button.option")) {
      option.classList.toggle("choice", option.textContent.trim().startsWith(CHOICE_PREFIX));
    }
  }

  // Captured before Gradio's own handler, which takes the clicked button out of the page.
  document.addEventListener(
    "click",
    (event) => {
      if (event.target.closest?.("#answers button.option")) refocus = true;
    },
    true,
  );
  // The visitor scrolling or typing takes over from landing.
  for (const event of ["wheel", "touchmove", "keydown"]) {
    window.addEventListener(event, () => (settleUntil = 0), { passive: true });
  }
  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      land();
      name();
    }, 30);
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}
