-- The retry budget of one account, shared by every process: impact-retry's RetryBudget
-- (src/budget.rs), step for step, on Redis's clock.
--
-- KEYS[1]  the budget: "MILLI COUNTED_TO", thousandths of a token and the instant (microseconds)
--          up to which the time refill was counted. A missing key is a full budget as of now,
--          as a new RetryBudget is.
-- ARGV[1]  "" to read the time with TIME; a number of microseconds only from the tests
-- ARGV[2]  "withdraw" (try_withdraw), "refill" (on_first_try_success) or "peek" (available)
-- ARGV[3]  capacity, ARGV[4] tokens refilled per second, ARGV[5] tokens to withdraw or refill
-- returns {1 if granted else 0, whole tokens left}

-- `now` comes from now.lua, prepended.
local full = tonumber(ARGV[3]) * 1000
local rate = tonumber(ARGV[4])
local amount = tonumber(ARGV[5]) * 1000
local milli, counted_to
local stored = redis.call('GET', KEYS[1])
if stored then
  local m, r = string.match(stored, '^(%d+) (%d+)$')
  milli, counted_to = tonumber(m), tonumber(r)
end
if milli == nil or counted_to == nil then
  milli = full
  counted_to = now
end
-- A process configured with a smaller capacity than the one that wrote the key.
milli = math.min(milli, full)

-- The time refill: whole milliseconds since the last count, the remainder kept for the next
-- one; an instant earlier than the last one refills nothing.
if now > counted_to then
  local millis = math.floor((now - counted_to) / 1000)
  milli = math.min(full, milli + millis * rate)
  counted_to = counted_to + millis * 1000
end

-- Writes the budget back; it expires a minute after it would be full again (a missing key is
-- a full budget), or never when nothing refills it.
local function save()
  local value = string.format('%.0f %.0f', milli, counted_to)
  if milli >= full then
    redis.call('SET', KEYS[1], value, 'PX', 60000)
  elseif rate > 0 then
    local ms_to_full = math.ceil((full - milli) / rate)
    redis.call('SET', KEYS[1], value, 'PX', string.format('%.0f', ms_to_full + 60000))
  else
    redis.call('SET', KEYS[1], value)
  end
end

local granted = 1
if ARGV[2] == 'withdraw' then
  if milli >= amount then
    milli = milli - amount
  else
    granted = 0
  end
  save()
elseif ARGV[2] == 'refill' then
  milli = math.min(full, milli + amount)
  save()
elseif ARGV[2] ~= 'peek' then
  return redis.error_reply('impact-quota: unknown budget operation')
end
return {granted, math.floor(milli / 1000)}
