-- wrk: keep-alive GETs from clients that keep the proxy's own affinity
-- cookie: one Cookie header per line of the file given after `--`, used in
-- turn; the requests are formatted once, as in sticky.lua.
local requests = {}
local n = 0

function init(args)
    for line in io.lines(args[1]) do
        requests[#requests + 1] = wrk.format("GET", "/", { ["Cookie"] = line })
    end
    assert(#requests > 0, "no cookies in " .. tostring(args[1]))
end

function request()
    n = n % #requests + 1
    return requests[n]
end
