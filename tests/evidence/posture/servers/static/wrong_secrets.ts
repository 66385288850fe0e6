export const config = {
  githubToken: "ghp_Q3vX9kLmN2pR7tY4wB8zC1dF6gH0jK5sA9eU",
  clientSecret: "Zx8fQ2mP9vL4kR7tY1wB6nC3",
};
