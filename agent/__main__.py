"""`python -m agent`: the hardware agent (docs/agent-protocol.md)."""
from agent.cli import main

raise SystemExit(main())
