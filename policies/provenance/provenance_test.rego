package gate.rules.provenance_test

import rego.v1

import data.gate.rules.provenance

_v(overrides) := object.union(
	{
		"status": "verified",
		"kind": "github-attestation",
		"reason": "ok",
		"subject": {"name": "server-1.0.0-py3-none-any.whl", "digest": {"sha256": "ab"}},
		"signer": {"identity": "https://github.com/acme/server/.github/workflows/release.yml@refs/tags/v1.0.0", "issuer": "https://token.actions.githubusercontent.com", "claims": {}},
		"slsa": {"builder_id": "https://github.com/actions/runner/github-hosted", "source_repository": "https://github.com/acme/server"},
		"method": "sigstore",
		"files": ["dist/server-1.0.0-py3-none-any.whl", "dist/server-1.0.0-py3-none-any.whl.sigstore.json"],
		"component": null,
		"details": {},
	},
	overrides,
)

_doc := {
	"components": [
		{"ref": "pkg:pypi/httpx@0.28.1", "name": "httpx", "scope": "required", "trusted_identities": [{"identity": "https://github.com/encode/httpx/.github/workflows/publish.yml@refs/tags/0.28.1", "issuer": "https://token.actions.githubusercontent.com"}]},
		{"ref": "pkg:pypi/pytest@8.0.0", "name": "pytest", "scope": "dev"},
		{"ref": "pkg:npm/left-pad@1.3.0", "name": "left-pad", "scope": "required", "trusted_identities": [{"identity_prefix": "https://github.com/left-pad/left-pad/.github/workflows/release.yml@refs/tags/"}]},
		{"ref": "pkg:npm/right-pad@2.0.0", "name": "right-pad", "scope": "required", "trusted_identities": [{"repository": "right-pad/right-pad", "issuer": "https://token.actions.githubusercontent.com"}]},
	],
	"provenance": {"artifacts": [], "verifications": [
		_v({}),
		_v({"status": "failed", "reason": "the statement's subject does not match the artifact's digest", "subject": {"name": "tampered.whl"}, "files": ["dist/tampered.whl"]}),
		_v({"status": "failed", "kind": "lockfile-hash", "component": "pkg:pypi/pytest@8.0.0", "subject": {"name": "pytest.whl"}}),
		_v({"status": "absent", "kind": "model-signing", "signer": null, "slsa": null, "subject": {"name": "model.safetensors"}, "files": ["models/model.safetensors"]}),
		_v({"component": "pkg:pypi/httpx@0.28.1", "kind": "pep740", "slsa": null, "signer": {"identity": "https://github.com/evil/httpx/.github/workflows/release.yml@refs/tags/0.28.1", "issuer": "https://token.actions.githubusercontent.com"}}),
		_v({"subject": {"name": "other.tgz"}, "slsa": {"builder_id": "https://ci.example.com/builder"}}),
		_v({"status": "unverifiable", "kind": "model-signing", "signer": null, "slsa": null, "subject": {"name": "embedder"}, "files": ["models/embedder", "models/embedder/model.sig"], "reason": "the model is signed with a private key; pass its public key"}),
		_v({"component": "pkg:npm/left-pad@1.3.0", "kind": "npm-provenance", "slsa": null, "signer": {"identity": "https://github.com/left-pad/left-pad/.github/workflows/release.yml@refs/tags/v1.3.0", "issuer": "https://token.actions.githubusercontent.com", "claims": {"source_repository_uri": "https://github.com/left-pad/left-pad"}}}),
		_v({"component": "pkg:npm/right-pad@2.0.0", "kind": "npm-provenance", "slsa": null, "signer": {"identity": "https://github.com/right-pad/right-pad/.github/workflows/release.yml@refs/tags/v2.0.0", "issuer": "https://token.actions.githubusercontent.com", "claims": {"source_repository_uri": "https://github.com/right-pad/right-pad"}}}),
	]},
}

test_failed_production_verification_denied if {
	results := provenance.deny_verification_failed with input as _doc
	count(results) == 1
	some r in results
	r.code == "provenance.verification_failed"
	r.location == {"file": "dist/tampered.whl"}
	contains(r.msg, "does not match")
}

test_unsigned_model_warned if {
	results := provenance.warn_model_unsigned with input as _doc
	count(results) == 1
	some r in results
	r.code == "provenance.model_unsigned"
	r.location.file == "models/model.safetensors"
}

test_unsigned_model_denied_under_strict if {
	results := provenance.deny_model_unsigned_strict with input as _doc
	count(results) == 1
	some r in results
	r.code == "provenance.model_unsigned_strict"
}

test_signer_not_in_declared_identities_denied if {
	results := provenance.deny_untrusted_signer with input as _doc
	count(results) == 1
	some r in results
	r.code == "provenance.untrusted_signer"
	r.component == "pkg:pypi/httpx@0.28.1"
}

test_untrusted_builder_denied if {
	results := provenance.deny_untrusted_builder with input as _doc
	count(results) == 1
	some r in results
	r.evidence.builder_id == "https://ci.example.com/builder"
}

test_unverified_model_signature_warned if {
	results := provenance.warn_model_unverified with input as _doc
	count(results) == 1
	some r in results
	r.code == "provenance.model_unverified"
	r.location.file == "models/embedder"
}
