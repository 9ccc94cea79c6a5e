-- The shared pace of one account and rate-limit group: impact-quota's src/model.rs
-- (PaceState::admit and PaceState::observe, with the LearnedLimit they keep), step for step, on
-- Redis's clock.
--
-- KEYS[1]  the pace: "TAT BLOCKED QUEUE C1 W1 C2 W2 C3 W3", the theoretical arrival time, the
--          instant before which nothing is sent and the next queued slot (microseconds on the
--          store's clock), then per header family the calls per window and the longest time to
--          a reset seen (seconds; 0 0 for none). A missing key is all zeroes; a key of the
--          three instants alone (written before the limit was learned here) knows no limit.
--          One string, so that reading is one GET and writing one SET with its expiry (each
--          redis.call costs a few microseconds; SPEC 11 holds an admission to 1.5x a PING).
-- ARGV[1]  "" to read the time with TIME; a number of microseconds only from the tests
--          (impact-quota's test-clock feature), to hold the script to the model at chosen times
-- ARGV[2]  "admit" or "observe"
-- ARGV[3]  interval (0: the learned limit's), ARGV[4] tolerance, ARGV[5] horizon (0: one
--          interval), microseconds
-- admit:   ARGV[6] longest wait, ARGV[7] "1" for a call coming back after Later, else "0"
--          returns {code, microseconds}: 0 now, 1 reserved, 2 later, 3 too long
-- observe: ARGV[6] hold; ARGV[7..12] the calls and time to reset of each family (0 0 for
--          none); then pairs (time to the reset in microseconds, calls left)
--          returns 1 when the state changed, else 0
--
-- Every number stays below 2^53 (the callers bound each input to ten days, and calls to
-- 2^32), so Lua's doubles hold them exactly; they are written back with %d, never in
-- exponent form.

-- `now` comes from now.lua, prepended.
local tolerance = tonumber(ARGV[4])
local max_span = 864000000000
-- One string.match and one string.format for the nine numbers: each call of a string function
-- costs about a microsecond here, and formatting them one by one took most of the script's time.
local state = {0, 0, 0, 0, 0, 0, 0, 0, 0}
local stored = redis.call('GET', KEYS[1])
if stored then
  local found = {string.match(stored,
    '^(%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+)$')}
  if found[1] == nil then
    found = {string.match(stored, '^(%d+) (%d+) (%d+)$')}
  end
  for i = 1, #found do
    state[i] = tonumber(found[i])
  end
end
local tat, blocked, queue = state[1], state[2], state[3]

-- ceil(a / b) for whole numbers, exact where a / b in doubles may round.
local function div_ceil(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 end
  if q * b < a then q = q + 1 end
  return q
end

-- The spacing of calls: the given one, else the learned limit's whose calls are spread
-- thinnest, else nil (nothing known).
local function interval()
  local given = tonumber(ARGV[3])
  if given > 0 then
    return given
  end
  local widest = nil
  for f = 0, 2 do
    local calls, window = state[4 + 2 * f], state[5 + 2 * f]
    if calls > 0 and window > 0 then
      local spacing = math.max(div_ceil(window * 1000000, calls), 1)
      if widest == nil or spacing > widest then
        widest = spacing
      end
    end
  end
  return widest
end

-- Writes the state back; it expires a minute after its last instant has passed or after the
-- longest window learned, whichever is later.
local function save()
  state[1], state[2], state[3] = tat, blocked, queue
  local last = math.max(tat, blocked, queue)
  local keep = math.max(last - now, 0)
  for f = 0, 2 do
    keep = math.max(keep, state[5 + 2 * f] * 1000000)
  end
  local ttl_ms = math.ceil(keep / 1000) + 60000
  -- %d prints a C long, exact for these whole numbers below 2^53 and never in exponent form.
  redis.call('SET', KEYS[1], string.format('%d %d %d %d %d %d %d %d %d', state[1], state[2],
    state[3], state[4], state[5], state[6], state[7], state[8], state[9]), 'PX',
    string.format('%d', ttl_ms))
end

if ARGV[2] == 'admit' then
  local spacing = interval() or 1
  local horizon = tonumber(ARGV[5])
  if horizon == 0 then
    horizon = spacing
  end
  local max_wait = tonumber(ARGV[6])
  local earliest = math.max(now, blocked, tat - tolerance)
  local takes_slot
  if ARGV[7] == '1' then
    takes_slot = earliest - now <= horizon + spacing
  else
    takes_slot = queue <= earliest and earliest - now <= horizon
  end
  if takes_slot then
    local wait = earliest - now
    if wait > max_wait then
      return {3, wait}
    end
    tat = math.max(tat, earliest) + spacing
    save()
    if wait == 0 then
      return {0, 0}
    end
    return {1, wait}
  end
  local slot = math.max(queue, earliest)
  local wait = slot - now
  if wait > max_wait then
    return {3, wait}
  end
  queue = slot + spacing
  save()
  return {2, math.max(wait - horizon, 0)}
elseif ARGV[2] == 'observe' then
  local before = {tat, blocked, queue, state[4], state[5], state[6], state[7], state[8], state[9]}
  -- Learn first: per family, the calls named and the longest window.
  for f = 0, 2 do
    local calls, window = tonumber(ARGV[7 + 2 * f]), tonumber(ARGV[8 + 2 * f])
    if calls > 0 and window > 0 then
      state[4 + 2 * f] = calls
      state[5 + 2 * f] = math.max(state[5 + 2 * f], window)
    end
  end
  local hold = tonumber(ARGV[6])
  if hold > 0 and now + hold > blocked then
    blocked = now + hold
  end
  local spacing = interval()
  if spacing then
    local i = 13
    while ARGV[i + 1] do
      local reset_in = tonumber(ARGV[i])
      local needed = math.min(tonumber(ARGV[i + 1]) * spacing, max_span)
      if reset_in > needed then
        local target = now + (reset_in - needed) + tolerance
        if target > tat then
          tat = target
        end
      end
      i = i + 2
    end
  end
  state[1], state[2], state[3] = tat, blocked, queue
  for i = 1, 9 do
    if state[i] ~= before[i] then
      save()
      return 1
    end
  end
  return 0
end
return redis.error_reply('impact-quota: unknown pace operation')
