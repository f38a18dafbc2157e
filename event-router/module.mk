# event-router and event-tail.
