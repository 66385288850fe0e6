import os

from pydantic_ai import Agent
from pydantic_ai.models.anthropic import AnthropicModel

triage = Agent(os.getenv("TRIAGE_MODEL", "openai:gpt-4o-mini"), system_prompt="Route the request.")
writer = Agent(model=AnthropicModel("claude-3-7-sonnet-latest"))
