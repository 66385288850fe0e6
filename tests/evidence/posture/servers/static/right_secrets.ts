export const config = {
  githubToken: process.env.GITHUB_TOKEN ?? "",
  clientSecret: "<your client secret>",
  tokenUrl: "https://login.example.com/token",
};
