// The Telegram Mini App entry: Telegram passes the signed initData in the address's fragment
// (#tgWebAppData=...). Post it to the server, which checks its signature; nothing is loaded from elsewhere.
(function () {
  var form = document.querySelector("form[data-mini-app]");
  if (!form) { return; }
  var params = new URLSearchParams(window.location.hash.slice(1));
  var data = params.get("tgWebAppData");
  if (!data) {
    document.getElementById("mini-app-missing").hidden = false;
    return;
  }
  form.querySelector("input[name=init_data]").value = data;
  form.submit();
})();
