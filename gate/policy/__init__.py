"""Policy: turns the evidence document and Rego policies into results and a decision."""
