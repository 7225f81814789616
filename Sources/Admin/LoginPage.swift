/// `GET /login` when a token is configured: the one form a browser needs to
/// open the dashboard. The token goes in a POST body (never a URL, so never
/// in history, logs or a Referer) and comes back as the session cookie.
enum LoginPage {
    static func html(failed: Bool) -> String {
        template.replacingFirst("<!--ERROR-->", with: failed ? #"<p class="err">That token opens nothing here.</p>"# : "")
    }

    static let template = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tether — log in</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#0f1419;color:#d8dee4;display:flex;justify-content:center;padding-top:14vh}
form{background:#171d24;border:1px solid #263039;padding:22px 26px;width:340px}h1{font-size:18px;margin:0 0 14px}
label{display:block;color:#8b98a5;font-size:12px;margin-bottom:4px}input{width:100%;box-sizing:border-box;padding:7px 8px;background:#0b0f13;color:#d8dee4;border:1px solid #263039;border-radius:4px;font:inherit}
button{margin-top:14px;background:#238636;color:#fff;border:0;border-radius:4px;padding:7px 14px;font:inherit;cursor:pointer}.err{color:#da3633;margin:0 0 10px}
p.dim{color:#8b98a5;font-size:12px;margin:14px 0 0}
</style></head><body>
<form method="post" action="/login"><h1>Tether</h1><!--ERROR-->
<label for="token">Admin token (the admin line's token=, or read_token=)</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Open the dashboard</button>
<p class="dim">The token is exchanged for a cookie that lasts until the browser closes.</p>
</form></body></html>
"""#
}
