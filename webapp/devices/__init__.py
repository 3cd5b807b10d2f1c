"""The hardware agent seen from the web app: tickets the agent accepts (Ed25519), who may use
which device, the page header's device state, the devices page, and what the pages record from
a device (a KTP-el presented at intake). The agent itself is `agent/` (docs/agent-protocol.md)."""
