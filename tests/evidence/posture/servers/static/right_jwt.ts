import { jwtVerify, createRemoteJWKSet } from "jose";

const JWKS = createRemoteJWKSet(new URL("https://login.example.com/jwks"));

export async function check(token: string) {
  return jwtVerify(token, JWKS, { issuer: "https://login.example.com", audience: "https://mcp.example.com/mcp" });
}
