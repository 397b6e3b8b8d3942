-- wrk script of benchmarks/peer/run.py: POST one GraphQL body per request, cycling through the
-- lines of the file given after `--` (one JSON body a line, one person each), the threads (their
-- count the second argument) spread evenly over it, so no person is asked twice at once. An answer that is not 2xx, or carries "errors", counts as an error. done()
-- prints one JSON line: requests, errors, duration and latency percentiles (microseconds).
local bodies, threads = {}, {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  index = math.floor((offset - 1) * #bodies / tonumber(args[2]))
  failed = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"errors"', 1, true) then failed = failed + 1 end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  for _, thread in ipairs(threads) do errors = errors + thread:get("failed") end
  io.write(string.format(
    '{"requests": %d, "errors": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, errors, summary.duration, latency:percentile(50), latency:percentile(99)))
end
