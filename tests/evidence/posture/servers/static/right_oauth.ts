const registeredRedirectUris = ["https://app.example.com/callback"];

export function authorizeUrl(redirectUri: string, codeChallenge: string) {
  const u = new URL("https://login.example.com/authorize");
  u.searchParams.set("response_type", "code");
  u.searchParams.set("code_challenge", codeChallenge);
  u.searchParams.set("code_challenge_method", "S256");
  u.searchParams.set("redirect_uri", redirectUri);
  return u.toString();
}

export function redirectAllowed(redirectUri: string) {
  return registeredRedirectUris.includes(redirectUri);
}
