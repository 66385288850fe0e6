# Rules about the server's security posture: the authorization MUST rules of the MCP specification
# (2025-11-25), judged from the static findings, the configuration lint and the live probe in
# input.mcp.posture. Denied: token passthrough, missing audience validation, non-random session IDs,
# sessions as authentication, an unauthenticated remote transport and missing Origin validation; the rest warn.
package gate.rules.posture

import rego.v1

_posture := object.get(input, ["mcp", "posture"], {})

_list(key) := v if {
	v := _posture[key]
	is_array(v)
} else := []

_findings := array.concat(_list("static"), _list("config"))

_probe := _list("probe")

_static_result(f) := {
	"code": concat("", ["posture.", f.rule]),
	"msg": sprintf("%s:%d: %s", [f.file, f.line, f.message]),
	"component": null,
	"location": {"file": f.file, "line": f.line},
	"evidence": {"rule": f.rule, "snippet": f.snippet, "explanation": f.explanation},
	"source": "posture",
}

_probe_result(r, code) := {
	"code": concat("", ["posture.", code]),
	"msg": sprintf("probe %s: %s", [r.check, r.message]),
	"component": null,
	"location": null,
	"evidence": {"check": r.check, "status": r.status, "exchanges": r.evidence},
	"source": "posture-probe",
}

# METADATA
# title: Inbound token passed through to a downstream API
# description: >-
#   The client's bearer token reaches the headers of an outbound HTTP request. MCP servers MUST NOT pass
#   tokens through: obtain a token issued for the downstream API instead.
# custom:
#   short_name: token_passthrough
#   severity: critical
#   solution: >-
#     Obtain a separate token for the downstream API (token exchange, or the server's own credential); never
#     forward the client's.
#   collections: [minimal, recommended, strict]
deny_token_passthrough := [_static_result(f) |
	some f in _findings
	f.rule == "token_passthrough"
]

# METADATA
# title: JWT validated without an audience check
# description: >-
#   A token is decoded without checking its audience, so tokens issued for other services are accepted. MCP
#   servers MUST NOT accept tokens not issued for them.
# custom:
#   short_name: jwt_no_audience
#   severity: high
#   solution: >-
#     Pass the server's own resource URL as the expected audience (audience= in PyJWT/python-jose, audience:
#     in jsonwebtoken/jose, an aud claims option in authlib).
#   collections: [minimal, recommended, strict]
deny_jwt_no_audience := [_static_result(f) |
	some f in _findings
	f.rule == "jwt_no_audience"
]

# METADATA
# title: JWT decoded without signature verification
# description: >-
#   The token's signature is not verified, so any forged token is accepted.
# custom:
#   short_name: jwt_unverified
#   severity: critical
#   solution: >-
#     Verify the signature against the issuer's keys (JWKS) before trusting any claim.
#   collections: [minimal, recommended, strict]
deny_jwt_unverified := [_static_result(f) |
	some f in _findings
	f.rule == "jwt_unverified"
]

# METADATA
# title: JWT validated without an issuer check
# description: >-
#   The token's issuer is not checked; tokens from another authorization server sharing keys or audiences
#   may be accepted.
# custom:
#   short_name: jwt_no_issuer
#   severity: medium
#   solution: >-
#     Pass the expected issuer (issuer=) so tokens of other authorization servers are refused.
#   collections: [recommended, strict]
warn_jwt_no_issuer := [_static_result(f) |
	some f in _findings
	f.rule == "jwt_no_issuer"
]

# METADATA
# title: Session identifier from a non-cryptographic source
# description: >-
#   Session IDs MUST come from a secure random source; predictable IDs (random, uuid1, time, counters) let
#   an attacker guess or enumerate sessions.
# custom:
#   short_name: session_id_insecure
#   severity: high
#   solution: >-
#     Generate session IDs with a cryptographic generator (secrets.token_urlsafe(32), uuid4,
#     crypto.randomUUID()).
#   collections: [minimal, recommended, strict]
deny_session_id_insecure := [_static_result(f) |
	some f in _findings
	f.rule == "session_id_insecure"
]

# METADATA
# title: Session used as authentication
# description: >-
#   The caller's identity is taken from the session instead of from a verified token on every request. MCP
#   servers MUST NOT use sessions for authentication.
# custom:
#   short_name: session_as_auth
#   severity: high
#   solution: >-
#     Verify the bearer token on every request and check that the session belongs to the token's principal.
#   collections: [minimal, recommended, strict]
deny_session_as_auth := [_static_result(f) |
	some f in _findings
	f.rule == "session_as_auth"
]

# METADATA
# title: HTTP transport exposed on all interfaces without authentication
# description: >-
#   The server listens on 0.0.0.0 or :: and no authentication is configured anywhere in the project.
# custom:
#   short_name: unauthenticated_bind
#   severity: high
#   solution: >-
#     Require OAuth bearer tokens on the HTTP transport, or listen on 127.0.0.1 only.
#   collections: [minimal, recommended, strict]
deny_unauthenticated_bind := [_static_result(f) |
	some f in _findings
	f.rule == "unauthenticated_bind"
]

# METADATA
# title: HTTP transport without Origin validation
# description: >-
#   Streamable HTTP servers MUST validate the Origin header to prevent DNS rebinding attacks.
# custom:
#   short_name: origin_validation
#   severity: high
#   solution: >-
#     Validate the Origin header (the SDKs' DNS rebinding protection with allowed origins and hosts).
#   collections: [minimal, recommended, strict]
deny_origin_validation := [_static_result(f) |
	some f in _findings
	f.rule == "origin_validation"
]

# METADATA
# title: CORS allows any origin with credentials
# description: >-
#   Any web page can make credentialed requests to the server.
# custom:
#   short_name: cors_wildcard_credentials
#   severity: medium
#   solution: >-
#     List the allowed origins explicitly when credentials are allowed.
#   collections: [recommended, strict]
warn_cors_wildcard_credentials := [_static_result(f) |
	some f in _findings
	f.rule == "cors_wildcard_credentials"
]

# METADATA
# title: Plain http:// endpoint for a remote service
# description: >-
#   Tokens and session IDs sent over plain HTTP can be intercepted; use HTTPS for every remote endpoint.
# custom:
#   short_name: plain_http
#   severity: medium
#   solution: >-
#     Use https:// for every remote endpoint.
#   collections: [recommended, strict]
warn_plain_http := [_static_result(f) |
	some f in _findings
	f.rule == "plain_http"
]

# METADATA
# title: OAuth authorization code flow without PKCE
# description: >-
#   OAuth 2.1 requires PKCE for every authorization request.
# custom:
#   short_name: oauth_no_pkce
#   severity: medium
#   solution: >-
#     Send a code_challenge (S256) with every authorization request and the code_verifier with the token
#     request.
#   collections: [recommended, strict]
warn_oauth_no_pkce := [_static_result(f) |
	some f in _findings
	f.rule == "oauth_no_pkce"
]

# METADATA
# title: Redirect URI matched loosely
# description: >-
#   Redirect URIs must be compared exactly against registered values; prefix, substring, wildcard or regex
#   matching lets an attacker redirect authorization codes.
# custom:
#   short_name: redirect_uri_loose
#   severity: medium
#   solution: >-
#     Compare redirect URIs exactly against the registered list.
#   collections: [recommended, strict]
warn_redirect_uri_loose := [_static_result(f) |
	some f in _findings
	f.rule == "redirect_uri_loose"
]

# METADATA
# title: Tool arguments reach a shell
# description: >-
#   A tool handler passes its arguments to a shell or to eval/exec: command injection.
# custom:
#   short_name: tool_shell
#   severity: high
#   solution: >-
#     Pass arguments as a list without a shell (subprocess.run([...]), execFile), or quote them
#     (shlex.quote).
#   collections: [recommended, strict]
warn_tool_shell := [_static_result(f) |
	some f in _findings
	f.rule == "tool_shell"
]

# METADATA
# title: Tool fetches arbitrary URLs
# description: >-
#   A tool handler fetches a URL taken from its arguments with no allow-list (server-side request forgery).
# custom:
#   short_name: tool_ssrf
#   severity: medium
#   solution: >-
#     Check the URL's scheme and host against an allow-list before fetching it.
#   collections: [recommended, strict]
warn_tool_ssrf := [_static_result(f) |
	some f in _findings
	f.rule == "tool_ssrf"
]

# METADATA
# title: Secret in source
# description: >-
#   A credential is written in the source; move it to a secret store or an environment variable.
# custom:
#   short_name: secret
#   severity: high
#   solution: >-
#     Remove the credential from the source, rotate it, and read it from the environment or a secret store.
#   collections: [recommended, strict]
warn_secret := [_static_result(f) |
	some f in _findings
	f.rule == "secret"
]

# METADATA
# title: Launch configuration runs an unpinned package
# description: >-
#   npx/uvx (and similar) fetch whatever version is newest at launch time; pin an exact version.
# custom:
#   short_name: config_unpinned_package
#   severity: medium
#   solution: >-
#     Pin an exact version (npx pkg@1.2.3, uvx pkg==1.2.3).
#   collections: [recommended, strict]
warn_config_unpinned_package := [_static_result(f) |
	some f in _findings
	f.rule == "config_unpinned_package"
]

# METADATA
# title: Container image not pinned by digest
# description: >-
#   Tags can be moved; pin the image with @sha256:<digest>.
# custom:
#   short_name: config_image_digest
#   severity: medium
#   solution: >-
#     Pin the image by digest (image@sha256:...).
#   collections: [recommended, strict]
warn_config_image_digest := [_static_result(f) |
	some f in _findings
	f.rule == "config_image_digest"
]

# METADATA
# title: Secret written inline in an MCP configuration
# description: >-
#   A credential is stored in a configuration file; reference an input or environment variable instead.
# custom:
#   short_name: config_inline_secret
#   severity: high
#   solution: >-
#     Reference an input or environment variable (${input:...}, ${env:...}) and rotate the exposed
#     credential.
#   collections: [recommended, strict]
warn_config_inline_secret := [_static_result(f) |
	some f in _findings
	f.rule == "config_inline_secret"
]

# METADATA
# title: Remote MCP server over plain http://
# description: >-
#   Tokens and session IDs sent over plain HTTP can be intercepted.
# custom:
#   short_name: config_plain_http
#   severity: medium
#   solution: >-
#     Reach remote servers over https://.
#   collections: [recommended, strict]
warn_config_plain_http := [_static_result(f) |
	some f in _findings
	f.rule == "config_plain_http"
]

# METADATA
# title: Launch command uses sudo or pipes a download into a shell
# description: >-
#   The server is launched with elevated rights or runs code fetched at launch time.
# custom:
#   short_name: config_unsafe_wrapper
#   severity: high
#   solution: >-
#     Launch the server directly, without sudo, from a pinned, verified package.
#   collections: [recommended, strict]
warn_config_unsafe_wrapper := [_static_result(f) |
	some f in _findings
	f.rule == "config_unsafe_wrapper"
]

# METADATA
# title: Server accepts unauthenticated requests (live probe)
# description: >-
#   The live probe's unauthenticated initialize request was accepted: the server verifies no token, so
#   anyone who can reach it can use it.
# custom:
#   short_name: probe_unauthenticated
#   severity: critical
#   solution: >-
#     Require a bearer token on every request to the MCP endpoint.
#   collections: [minimal, recommended, strict]
deny_probe_unauthenticated := [_probe_result(r, "probe_unauthenticated") |
	some r in _probe
	r.check == "auth_required"
	r.status == "fail"
]

# METADATA
# title: 401 without a resource metadata challenge (live probe)
# description: >-
#   The 401 answer does not carry a Bearer challenge naming the protected resource metadata, so clients
#   cannot discover the authorization server.
# custom:
#   short_name: probe_www_authenticate
#   severity: medium
#   solution: >-
#     Answer 401 with WWW-Authenticate: Bearer resource_metadata="<protected resource metadata URL>".
#   collections: [recommended, strict]
warn_probe_www_authenticate := [_probe_result(r, "probe_www_authenticate") |
	some r in _probe
	r.check == "www_authenticate"
	r.status == "fail"
]

# METADATA
# title: Protected resource metadata missing or wrong (live probe)
# description: >-
#   The protected resource metadata document is missing, invalid, or names another resource.
# custom:
#   short_name: probe_resource_metadata
#   severity: medium
#   solution: >-
#     Serve /.well-known/oauth-protected-resource with the server's own URL as resource and its
#     authorization servers.
#   collections: [recommended, strict]
warn_probe_resource_metadata := [_probe_result(r, "probe_resource_metadata") |
	some r in _probe
	r.check == "resource_metadata"
	r.status == "fail"
]

# METADATA
# title: Server refuses a valid token from its issuer (live probe)
# description: >-
#   A valid token for this server from the authorization server it trusts was refused; the other token
#   checks could not run.
# custom:
#   short_name: probe_valid_token
#   severity: medium
#   solution: >-
#     Check the server's token verification against its authorization server's keys.
#   collections: [recommended, strict]
warn_probe_valid_token := [_probe_result(r, "probe_valid_token") |
	some r in _probe
	r.check == "token_accepted"
	r.status == "fail"
]

# METADATA
# title: Server accepts a token issued for another audience (live probe)
# description: >-
#   A token issued for another resource was accepted: the server accepts tokens not issued for it.
# custom:
#   short_name: probe_token_audience
#   severity: critical
#   solution: >-
#     Refuse tokens whose audience is not this server's resource URL.
#   collections: [minimal, recommended, strict]
deny_probe_token_audience := [_probe_result(r, "probe_token_audience") |
	some r in _probe
	r.check == "token_audience"
	r.status == "fail"
]

# METADATA
# title: Server accepts an expired token (live probe)
# description: >-
#   An expired token was accepted.
# custom:
#   short_name: probe_token_expired
#   severity: medium
#   solution: >-
#     Refuse expired tokens (check exp).
#   collections: [recommended, strict]
warn_probe_token_expired := [_probe_result(r, "probe_token_expired") |
	some r in _probe
	r.check == "token_expired"
	r.status == "fail"
]

# METADATA
# title: Server accepts a token without the required scope (live probe)
# description: >-
#   A token without the scope the server requires was accepted.
# custom:
#   short_name: probe_token_scope
#   severity: medium
#   solution: >-
#     Refuse tokens without the scopes the server requires (403 insufficient_scope).
#   collections: [recommended, strict]
warn_probe_token_scope := [_probe_result(r, "probe_token_scope") |
	some r in _probe
	r.check == "token_scope"
	r.status == "fail"
]

# METADATA
# title: Predictable session IDs (live probe)
# description: >-
#   The Mcp-Session-Id values the server issued are repeated, time-based, sequential or short.
# custom:
#   short_name: probe_session_id
#   severity: high
#   solution: >-
#     Generate session IDs with a cryptographic generator.
#   collections: [minimal, recommended, strict]
deny_probe_session_id := [_probe_result(r, "probe_session_id") |
	some r in _probe
	r.check == "session_id"
	r.status == "fail"
]

# METADATA
# title: Session usable without its owner's token (live probe)
# description: >-
#   A session could be used without a token or with another user's token: the session acts as
#   authentication.
# custom:
#   short_name: probe_session_binding
#   severity: high
#   solution: >-
#     Verify the token on every request and bind each session to the principal that opened it.
#   collections: [minimal, recommended, strict]
deny_probe_session_binding := [_probe_result(r, "probe_session_binding") |
	some r in _probe
	r.check == "session_binding"
	r.status == "fail"
]

# METADATA
# title: Server accepts requests from a foreign Origin (live probe)
# description: >-
#   A request with a foreign Origin was accepted: the server is open to DNS rebinding.
# custom:
#   short_name: probe_origin
#   severity: high
#   solution: >-
#     Refuse requests whose Origin is not allowed (403).
#   collections: [minimal, recommended, strict]
deny_probe_origin := [_probe_result(r, "probe_origin") |
	some r in _probe
	r.check == "origin"
	r.status == "fail"
]

# METADATA
# title: Client token sent to a downstream service (live probe)
# description: >-
#   A request the server sent out (through the probe's recording proxy) carried the client's token.
# custom:
#   short_name: probe_token_passthrough
#   severity: critical
#   solution: >-
#     Obtain a separate token for downstream APIs; never forward the client's.
#   collections: [minimal, recommended, strict]
deny_probe_token_passthrough := [_probe_result(r, "probe_token_passthrough") |
	some r in _probe
	r.check == "token_passthrough"
	r.status == "fail"
]

# METADATA
# title: A live probe check could not complete
# description: >-
#   The probe could not complete a check: the server hung, reset the connection, answered garbage or
#   redirected elsewhere.
# custom:
#   short_name: probe_error
#   severity: medium
#   solution: >-
#     Make the server answer MCP requests on its endpoint promptly, without redirects, then probe again.
#   collections: [recommended, strict]
warn_probe_error := [_probe_result(r, "probe_error") |
	some r in _probe
	r.status == "error"
]
