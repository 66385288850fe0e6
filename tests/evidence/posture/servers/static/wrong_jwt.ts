import jwt from "jsonwebtoken";
import { jwtVerify } from "jose";

export function check(token: string, key: string) {
  return jwt.verify(token, key, { algorithms: ["RS256"], issuer: "https://login.example.com" });
}

export async function check2(token: string, key: CryptoKey) {
  return jwtVerify(token, key, { issuer: "https://login.example.com" });
}
