# hook-capture: links common/ without libevent.
