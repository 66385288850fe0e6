export function authorizeUrl(redirectUri: string) {
  const u = new URL("https://login.example.com/authorize");
  u.searchParams.set("response_type", "code");
  u.searchParams.set("redirect_uri", redirectUri);
  return u.toString();
}

export function redirectAllowed(redirectUri: string) {
  return redirectUri.startsWith("https://app.example.com");
}
