# ws-gateway.
