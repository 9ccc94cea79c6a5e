-- The retry budget of one account, shared by every process: impact-retry's RetryBudget
-- (src/budget.rs), step for step, on Redis's clock.
--
-- KEYS[1]  the budget: "MILLI COUNTED_TO CAPACITY RATE", thousandths of a token, the instant
--          (microseconds) up to which the time refill was counted, and the sizes the budget was
--          made with (tokens, tokens per second). A missing key is a full budget as of now, as
--          a new RetryBudget is, of the caller's sizes; a key of two numbers (written before
--          the sizes were kept) takes the caller's.
-- ARGV[1]  "" to read the time with TIME; a number of microseconds only from the tests
-- ARGV[2]  "withdraw" (try_withdraw), "refill" (on_first_try_success) or "peek" (available)
-- ARGV[3]  capacity, ARGV[4] tokens refilled per second (the caller's sizes), ARGV[5] tokens to
--          withdraw or refill
-- returns {1 if granted else 0, whole tokens left, capacity, rate}: the sizes that applied,
--          which are the budget's own, so that every process spends one budget by one rule and
--          a caller can tell when its sizes differ

-- `now` comes from now.lua, prepended.
local capacity = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local amount = tonumber(ARGV[5]) * 1000
local milli, counted_to
local stored = redis.call('GET', KEYS[1])
if stored then
  local m, r, c, p = string.match(stored, '^(%d+) (%d+) (%d+) (%d+)$')
  if m == nil then
    m, r = string.match(stored, '^(%d+) (%d+)$')
  end
  milli, counted_to = tonumber(m), tonumber(r)
  if c ~= nil then
    capacity, rate = tonumber(c), tonumber(p)
  end
end
local full = capacity * 1000
if milli == nil or counted_to == nil then
  milli = full
  counted_to = now
end
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
  local value = string.format('%.0f %.0f %.0f %.0f', milli, counted_to, capacity, rate)
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
return {granted, math.floor(milli / 1000), capacity, rate}
