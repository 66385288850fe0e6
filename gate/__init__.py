"""gate: a supply-chain verification and policy-as-code gate for MCP servers and their AI components."""

__version__ = "0.1.0"

INPUT_SCHEMA = "gate/input/v1"
REPORT_SCHEMA = "gate/report/v1"
