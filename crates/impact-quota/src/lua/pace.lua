-- The shared pace of one account and rate-limit group: impact-quota's src/model.rs
-- (PaceState::admit and PaceState::observe), step for step, on Redis's clock.
--
-- KEYS[1]  the pace: "TAT BLOCKED QUEUE", the theoretical arrival time, the instant before which
--          nothing is sent and the next queued slot, in microseconds on the store's clock; a
--          missing key is "0 0 0". One string, so that reading is one GET and writing one SET
--          with its expiry (each redis.call costs a few microseconds; SPEC 11 holds an admission
--          to 1.5x a PING).
-- ARGV[1]  "" to read the time with TIME; a number of microseconds only from the tests
--          (impact-quota's test-clock feature), to hold the script to the model at chosen times
-- ARGV[2]  "admit" or "observe"
-- ARGV[3]  interval, ARGV[4] tolerance, ARGV[5] horizon (microseconds)
-- admit:   ARGV[6] longest wait, ARGV[7] "1" for a call coming back after Later, else "0"
--          returns {code, microseconds}: 0 now, 1 reserved, 2 later, 3 too long
-- observe: ARGV[6] hold; then pairs (time to the reset, time the calls left need)
--          returns 1 when the state moved forward, else 0
--
-- Every number stays below 2^53 (the callers bound each input to ten days), so Lua's doubles
-- hold them exactly; they are written back with %.0f, never in exponent form.

-- `now` comes from now.lua, prepended.
local interval = tonumber(ARGV[3])
local tolerance = tonumber(ARGV[4])
local horizon = tonumber(ARGV[5])
local tat, blocked, queue = 0, 0, 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local t, b, q = string.match(stored, '^(%d+) (%d+) (%d+)$')
  tat, blocked, queue = tonumber(t) or 0, tonumber(b) or 0, tonumber(q) or 0
end

-- Writes the state back; it expires a minute after its last instant has passed, when a
-- missing key means the same thing.
local function save()
  local last = math.max(tat, blocked, queue)
  local ttl_ms = math.ceil(math.max(last - now, 0) / 1000) + 60000
  redis.call('SET', KEYS[1], string.format('%.0f %.0f %.0f', tat, blocked, queue),
    'PX', string.format('%.0f', ttl_ms))
end

if ARGV[2] == 'admit' then
  local max_wait = tonumber(ARGV[6])
  local earliest = math.max(now, blocked, tat - tolerance)
  local takes_slot
  if ARGV[7] == '1' then
    takes_slot = earliest - now <= horizon + interval
  else
    takes_slot = queue <= earliest and earliest - now <= horizon
  end
  if takes_slot then
    local wait = earliest - now
    if wait > max_wait then
      return {3, wait}
    end
    tat = math.max(tat, earliest) + interval
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
  queue = slot + interval
  save()
  return {2, math.max(wait - horizon, 0)}
elseif ARGV[2] == 'observe' then
  local moved = 0
  local hold = tonumber(ARGV[6])
  if hold > 0 and now + hold > blocked then
    blocked = now + hold
    moved = 1
  end
  local i = 7
  while ARGV[i + 1] do
    local reset_in = tonumber(ARGV[i])
    local needed = tonumber(ARGV[i + 1])
    if reset_in > needed then
      local target = now + (reset_in - needed) + tolerance
      if target > tat then
        tat = target
        moved = 1
      end
    end
    i = i + 2
  end
  if moved == 1 then
    save()
  end
  return moved
end
return redis.error_reply('impact-quota: unknown pace operation')
