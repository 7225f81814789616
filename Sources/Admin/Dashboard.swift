import Stats

/// `GET /`: one self-contained page (no external assets) that refreshes
/// itself from `/stats` every 2 s, with the session cookie of the login
/// form when a token is configured (see `AdminAccess`). Its numeric columns
/// are the stats table's (`StatsField.column`), the same as `tether stats`.
/// Three variants, built once: no token (no log-out), admin, read-only (no
/// backend actions).
enum Dashboard {
    static let open = page(canAct: true, logout: false)
    static let withLogout = page(canAct: true, logout: true)
    static let readOnly = page(canAct: false, logout: true)

    static func page(canAct: Bool, logout: Bool) -> String {
        template.replacingFirst("/*COLUMNS*/", with: columnsJSON)
            .replacingFirst("/*CAUSES*/", with: causesJSON)
            .replacingFirst("/*CAN_ACT*/", with: canAct ? "true" : "false")
            .replacingFirst("<!--LOGOUT-->", with: logout
                ? #"<form method="post" action="/logout" class="logout">\#(canAct ? "" : #"<span class="dim">read-only</span> "#)<button>log out</button></form>"#
                : "")
    }

    /// `{"bad_request_line": 400, …}`: the status of each of Tether's own answers.
    static var causesJSON: String {
        var w = JSONWriter()
        w.beginObject()
        for c in LocalAnswer.allCases { w.value(c.label, c.status) }
        w.endObject()
        return w.text
    }

    /// `[{"path": "sessions.new", "title": "new"}, …]` for the page's script.
    static var columnsJSON: String {
        var w = JSONWriter()
        w.beginArray()
        for f in StatsFields.backend {
            guard let title = f.column, let path = f.dottedPath else { continue }
            w.beginObject()
            w.value("path", path)
            w.value("title", title)
            w.endObject()
        }
        w.endArray()
        return w.text
    }

    static let template = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tether</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
:root{--bg:#0f1419;--panel:#171d24;--line:#263039;--text:#d8dee4;--dim:#8b98a5;--up:#2ea043;--down:#da3633;--drain:#d29922;--maint:#6e7681;--accent:#58a6ff}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--text)}
header{display:flex;gap:22px;align-items:baseline;padding:12px 18px;border-bottom:1px solid var(--line);flex-wrap:wrap}.logout{margin-left:auto}
header h1{font-size:18px;margin:0;letter-spacing:.5px}header .kv b{color:#fff;font-weight:600}.dim{color:var(--dim)}
main{padding:10px 8px}table{width:100%;border-collapse:collapse;background:var(--panel);border:1px solid var(--line);font-size:12px}
th,td{padding:5px 4px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}th{color:var(--dim);font-weight:500;font-size:11px}
td.acts button{display:block;width:100%;margin:1px 0}
td:first-child,th:first-child{text-align:left}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:600;color:#fff}
.up{background:var(--up)}.down{background:var(--down)}.draining{background:var(--drain)}.maintenance{background:var(--maint)}
.bar{position:relative;height:14px;background:#0b0f13;border-radius:3px;min-width:64px}.bar span{position:absolute;left:0;top:0;bottom:0;background:var(--accent);border-radius:3px}
.bar em{position:relative;font-style:normal;font-size:11px;padding-left:4px}.dots i{display:inline-block;width:7px;height:7px;border-radius:50%;margin-left:2px}
.ok{background:var(--up)}.ko{background:var(--down)}svg{vertical-align:middle}button{background:#21262d;color:var(--text);border:1px solid var(--line);border-radius:4px;padding:2px 6px;font-size:11px;cursor:pointer}
button:hover{border-color:var(--accent)}.cards{display:flex;gap:12px;margin-top:14px;flex-wrap:wrap}.card{background:var(--panel);border:1px solid var(--line);padding:10px 14px;min-width:160px}
.card h3{margin:0 0 6px;font-size:12px;color:var(--dim);font-weight:500}.card div{font-size:12px}.err{color:var(--down)}
</style></head><body>
<header><h1>Tether</h1><span class="kv" id="summary">loading…</span><!--LOGOUT--></header>
<main>
<table><thead><tr id="heads"></tr></thead>
<tbody id="rows"></tbody></table>
<div class="cards"><div class="card"><h3>Answered by Tether itself</h3><div id="rejected"></div></div>
<div class="card"><h3>Listeners</h3><div id="listeners"></div></div>
<div class="card"><h3>Configuration</h3><div id="config"></div></div></div>
<p class="dim" id="status"></p>
</main>
<script>
const COLUMNS=/*COLUMNS*/;const CAUSES=/*CAUSES*/;const CAN_ACT=/*CAN_ACT*/;const hist={};const esc=s=>String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function spark(v){const w=56,h=20,m=Math.max(1,...v);const p=v.map((x,i)=>`${(i*(w/(Math.max(1,v.length-1)))).toFixed(1)},${(h-1-(x/m)*(h-2)).toFixed(1)}`).join(' ');
return `<svg width="${w}" height="${h}"><polyline fill="none" stroke="#58a6ff" stroke-width="1.5" points="${p}"/></svg>`}
function dur(s){s=Math.max(0,Math.floor(s));return s<60?s+'s':s<3600?Math.floor(s/60)+'m':Math.floor(s/3600)+'h'+Math.floor(s%3600/60)+'m'}
const get=(o,p)=>p.split('.').reduce((v,k)=>v==null?v:v[k],o);
document.getElementById('heads').innerHTML='<th>backend</th>'+COLUMNS.map(c=>`<th>${esc(c.title)}</th>`).join('')+'<th>last 60 s</th><th title="connections: active · idle">active·idle</th><th>checks</th>'+(CAN_ACT?'<th></th>':'');
const causes=o=>Object.entries(o).filter(([k,n])=>k!='total'&&n).map(([k,n])=>(CAUSES[k]?CAUSES[k]+' ':'')+k+' '+n).join(' · ');
function cell(c,b,s,now,maxPinned){const v=get(b,c.path);
if(c.path=='state')return `<span class="badge ${esc(v)}">${esc(v)}</span> <span class=dim>${dur(now-b.since)}</span>`;
if(c.path=='sessions.pinned_estimate'){if(s.routing.mode!='sticky')return '<span class=dim title="nothing is pinned in balanced mode">–</span>';return `<div class=bar><span style="width:${(100*v/maxPinned).toFixed(1)}%"></span><em>${v}</em></div>`}
if(c.path=='sessions.broken.total'&&v)return `<span class=err title="${esc(causes(b.sessions.broken))}">${v}</span>`;
if(c.path=='errors.total'&&v)return `<span class=err title="${esc(causes(b.errors))}">${v}</span>`;
if(v==null)return '–';if((c.path=='responses.5xx'||c.path=='failovers')&&v)return `<span class=err>${v}</span>`;
return typeof v=='number'&&!Number.isInteger(v)?v.toFixed(1):esc(v)}
async function act(name,a){await fetch(`/backends/${encodeURIComponent(name)}/${a}`,{method:'POST'});load()}
async function load(){try{const r=await fetch('/stats');if(r.status==401){location.href='/login';return}if(!r.ok){document.getElementById('status').innerHTML=`<span class=err>/stats: ${r.status}</span>`;return}
const s=await r.json();const now=Date.now()/1000;
document.getElementById('summary').innerHTML=`v${esc(s.version)} · up <b>${dur(s.uptime_seconds)}</b> · routing <b>${esc(s.routing.mode)}</b> (${esc(s.routing.balance)}, fingerprint <code title="the same on replicas that route alike">${esc(s.routing.fingerprint)}</code>) · connections <b>${s.connections.current}</b> (${s.connections.idle} idle) / ${s.connections.total} · requests <b>${s.requests}</b> · reloads ${s.reloads.succeeded}${s.reloads.failed?` <span class=err>(${s.reloads.failed} failed)</span>`:''}`+
(s.session_store.url?` · store <span class="badge ${s.session_store.state=='up'?'up':'down'}">${esc(s.session_store.state)}</span>`:'');
const maxPinned=Math.max(1,...s.backends.map(b=>b.sessions.pinned_estimate));
document.getElementById('rows').innerHTML=s.backends.map(b=>{(hist[b.name]=hist[b.name]||[]).push(b.rate['1s']);if(hist[b.name].length>30)hist[b.name].shift();
const checks=b.check.history.slice(-6).map(c=>`<i class="${c.ok?'ok':'ko'}" title="${esc(c.detail)} ${c.latency_ms}ms"></i>`).join('');
return `<tr><td><b>${esc(b.name)}</b><br><span class=dim>${esc(b.address)}${b.backup?' · backup':''}${b.route?' · '+esc(b.route):''}</span></td>
${COLUMNS.map(c=>`<td>${cell(c,b,s,now,maxPinned)}</td>`).join('')}<td>${spark(hist[b.name])}</td>
<td>${b.connections.active} · ${b.connections.idle}${b.connections.max_conns?`<br><span class=dim>max ${b.connections.max_conns}, queued ${b.connections.queued}, 503 ${b.connections.queue_rejected}</span>`:''}</td><td class=dots>${checks||'<span class=dim>off</span>'}</td>
${CAN_ACT?`<td class=acts><button onclick="act('${esc(b.name)}','drain')">drain</button><button onclick="act('${esc(b.name)}','maintenance')" title="maintenance: nothing is routed there">maint</button><button onclick="act('${esc(b.name)}','enable')">enable</button></td>`:''}</tr>`}).join('');
document.getElementById('rejected').innerHTML=Object.entries(s.rejected).filter(([k,v])=>k!='total'&&v).map(([k,v])=>`${CAUSES[k]} ${esc(k)}: <b>${v}</b>`).join('<br>')||'<span class=dim>none</span>';
document.getElementById('listeners').innerHTML=s.connections.listeners.map(l=>`${esc(l.address)}${l.tls?' (TLS)':''}: <b>${l.current}</b> open, ${l.total} total${l.tls_handshakes?`; handshakes ${l.tls_handshakes.ok} (${l.tls_handshakes.resumed} resumed), ${l.tls_handshakes.failed} failed`:''}`).join('<br>');
document.getElementById('config').innerHTML=`${s.loops} event loops<br>last reload error: ${s.reloads.last_error?'<span class=err>'+esc(s.reloads.last_error)+'</span>':'none'}`+(s.session_store.last_error?`<br>store: <span class=err>${esc(s.session_store.last_error)}</span>`:'');
document.getElementById('status').textContent='updated '+new Date().toLocaleTimeString()}catch(e){document.getElementById('status').textContent='admin endpoint unreachable: '+e}}
load();setInterval(load,2000);
</script></body></html>
"""#
}

extension String {
    /// The text with the first `marker` replaced (the page is built once, at start).
    func replacingFirst(_ marker: String, with replacement: String) -> String {
        guard let r = firstRange(of: marker) else { return self }
        var s = self
        s.replaceSubrange(r, with: replacement)
        return s
    }
}
