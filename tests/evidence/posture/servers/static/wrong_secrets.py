OPENAI_API_KEY = "sk-proj-Q3vX9kLmN2pR7tY4wB8zC1dF6gH0jK5sA9eU3iO7qW2xE4rT"
client_secret = "Zx8fQ2mP9vL4kR7tY1wB6nC3"
AWS = {"aws_access_key_id": "AKIAZ7Q3LMN4OPQ5RSTU"}
# ruff: noqa
