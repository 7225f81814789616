-- wrk: keep-alive GETs carrying one of 256 application session cookies in
-- turn (JSESSIONID, no route suffix), as many users' browsers would; the
-- requests are formatted once, so wrk's own cost stays as for plain GETs.
local requests = {}
local n = 0

function init(args)
    for i = 1, 256 do
        requests[i] = wrk.format("GET", "/", { ["Cookie"] = string.format("JSESSIONID=%032X", i * 2654435761) })
    end
end

function request()
    n = n % 256 + 1
    return requests[n]
end
