() => {
  // A session that has ended (left idle, or past its hours: bot/console/sessions.py) is refused with 401 on every
  // call, for which Gradio shows only "Error". Reload instead: an ended session gets the login page, as a signed-out
  // user does. Only Gradio's own calls count, and only once: the login page itself never runs this script.
  const send = window.fetch.bind(window);
  let leaving = false;
  window.fetch = async (...args) => {
    const response = await send(...args);
    if (response.status === 401 && !leaving && new URL(response.url).pathname.includes("/gradio_api/")) {
      leaving = true;
      window.location.reload();
    }
    return response;
  };
}
