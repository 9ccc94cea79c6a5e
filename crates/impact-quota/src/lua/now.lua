-- The instant of the operation, in microseconds: Redis's TIME, so that every process reckons
-- on one clock; or ARGV[1] when it is not empty, which only impact-quota's tests send (the
-- test-clock feature) to hold the scripts to the pure model at chosen instants. Prepended to
-- pace.lua and budget.lua when they are built into the crate.
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
