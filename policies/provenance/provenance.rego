# Rules about signatures and provenance (input.provenance, written by gate.evidence.provenance).
# Python decides what the cryptography says (verified / failed / unverifiable / unsupported / absent);
# these rules decide what matters and who is trusted: identities and builders are policy data in
# data.gate.config.provenance.
package gate.rules.provenance

import rego.v1

_first(arr, fallback) := arr[0] if {
	count(arr) > 0
} else := fallback

_config := data.gate.config.provenance if {
	is_object(data.gate.config.provenance)
} else := {}

_verifications := object.get(object.get(input, "provenance", {}), "verifications", [])

# Components are looked up per verification (a handful) rather than indexed in an object or set
# comprehension over every component: such comprehensions are quadratic on the embedded engine.
_component_of(v) := c if {
	v.component != null
	some c in input.components
	c.ref == v.component
}

# Components outside production (dev/test scope): their artifacts do not block a release.
_non_production(ref) if {
	some c in input.components
	c.ref == ref
	c.scope in {"dev", "test"}
}

_location(v) := {"file": v.files[0]} if {
	count(v.files) > 0
} else := null

_production(v) if {
	not v.component
}

_production(v) if {
	v.component == null
}

_production(v) if {
	v.component != null
	not _non_production(v.component)
}


# The trusted identities declared for a verification's component: on the component itself (the collector
# copies them from policy data gate.config.provenance.trusted_identities), or in policy data by component
# name, ref or artifact name.
_declared(v) := ids if {
	c := _component_of(v)
	c.trusted_identities
	ids := c.trusted_identities
} else := ids if {
	c := _component_of(v)
	ids := object.get(object.get(_config, "trusted_identities", {}), c.name, null)
	ids != null
} else := ids if {
	v.component != null
	ids := object.get(object.get(_config, "trusted_identities", {}), v.component, null)
	ids != null
} else := ids if {
	ids := object.get(object.get(_config, "trusted_identities", {}), object.get(v.subject, "name", ""), null)
	ids != null
}

_identity_matches(signer, t) if {
	is_string(t)
	signer.identity == t
}

# An object entry names the signer by exact identity, by identity prefix (a workflow whose ref changes with
# every release tag), or by source repository (the certificate's source_repository_uri claim); "issuer",
# when given, must match too.
_identity_matches(signer, t) if {
	is_object(t)
	signer.identity == t.identity
	object.get(t, "issuer", signer.issuer) == signer.issuer
}

_identity_matches(signer, t) if {
	is_object(t)
	is_string(t.identity_prefix)
	startswith(signer.identity, t.identity_prefix)
	object.get(t, "issuer", signer.issuer) == signer.issuer
}

_identity_matches(signer, t) if {
	is_object(t)
	is_string(t.repository)
	_repository_uri(t.repository) == object.get(object.get(signer, "claims", {}), "source_repository_uri", "")
	object.get(t, "issuer", signer.issuer) == signer.issuer
}

_repository_uri(r) := r if {
	startswith(r, "https://")
} else := concat("", ["https://github.com/", r])

_trusted_builder(id) if {
	some prefix in object.get(_config, "trusted_builders", [])
	startswith(id, prefix)
}

# METADATA
# title: Production artifact or model failed verification
# description: >-
#   A signature, attestation, model signature or lockfile hash was checked and is wrong: a bad
#   signature, a certificate that does not chain to the trusted root, a statement about another
#   artifact, a model file that differs from what was signed, or a file whose digest differs from the
#   lockfile. The artifact may have been tampered with.
# custom:
#   short_name: verification_failed
#   severity: critical
#   solution: >-
#     Rebuild the artifact from a trusted source and sign it again, or fetch the genuine artifact; run
#     `gate verify PATH` to see exactly which check failed.
#   collections: [minimal]
deny_verification_failed := [result |
	some v in _verifications
	v.status == "failed"
	_production(v)
	result := {
		"code": "provenance.verification_failed",
		"msg": sprintf("%s: %s verification failed: %s", [_first(v.files, object.get(v.subject, "name", "artifact")), v.kind, v.reason]),
		"component": v.component,
		"location": _location(v),
		"evidence": v,
		"source": "provenance",
	}
]

# METADATA
# title: Model without a signature
# description: >-
#   A model file or folder under the target carries no OpenSSF model signature (model.sig) and no other
#   signature or attestation, so nothing shows where it came from or that it is unchanged.
# custom:
#   short_name: model_unsigned
#   severity: medium
#   solution: >-
#     Sign the model with OpenSSF model signing (`model_signing sign ...`) and ship model.sig next to it.
#   collections: [recommended]
warn_model_unsigned := [result |
	some v in _verifications
	v.status == "absent"
	v.kind == "model-signing"
	result := {
		"code": "provenance.model_unsigned",
		"msg": sprintf("model %s has no signature", [_first(v.files, object.get(v.subject, "name", "model"))]),
		"component": v.component,
		"location": _location(v),
		"evidence": v,
		"source": "provenance",
	}
]

# METADATA
# title: Model without a signature (strict)
# description: >-
#   The strict collection blocks on a model that carries no signature. It supersedes
#   provenance.model_unsigned where it is selected.
# custom:
#   short_name: model_unsigned_strict
#   severity: high
#   solution: >-
#     Sign the model with OpenSSF model signing (`model_signing sign ...`) and ship model.sig next to it.
#   collections: [strict]
#   supersedes: [provenance.model_unsigned]
deny_model_unsigned_strict := [result |
	some r in warn_model_unsigned
	result := {
		"code": "provenance.model_unsigned_strict",
		"msg": r.msg,
		"component": r.component,
		"location": r.location,
		"evidence": r.evidence,
		"source": r.source,
	}
]

# METADATA
# title: Signed by an identity that is not trusted
# description: >-
#   The component (or artifact) declares trusted signer identities in policy data
#   (gate.config.provenance.trusted_identities), and the verified signature comes from another identity
#   or issuer: a valid signature by the wrong party.
# custom:
#   short_name: untrusted_signer
#   severity: critical
#   solution: >-
#     Find out who signed the artifact. If the new identity is legitimate (a renamed workflow, a new
#     release pipeline), add it to trusted_identities; otherwise do not deploy the artifact.
#   collections: [minimal]
deny_untrusted_signer := [result |
	some v in _verifications
	v.status == "verified"
	v.signer != null
	v.signer.identity != null
	ids := _declared(v)
	count([t | some t in ids; _identity_matches(v.signer, t)]) == 0
	result := {
		"code": "provenance.untrusted_signer",
		"msg": sprintf("%s is signed by %s (issuer %s), which is not a trusted identity for it", [object.get(v.subject, "name", "artifact"), v.signer.identity, object.get(v.signer, "issuer", "unknown")]),
		"component": v.component,
		"location": _location(v),
		"evidence": {"verification": v, "trusted_identities": ids},
		"source": "provenance",
	}
]

# METADATA
# title: Provenance from a builder that is not trusted
# description: >-
#   A verified SLSA provenance or artifact attestation names a builder that is not in policy data
#   gate.config.provenance.trusted_builders, so the claim that the artifact was built from the named
#   source rests on a build platform nobody vouched for.
# custom:
#   short_name: untrusted_builder
#   severity: high
#   solution: >-
#     Build and attest the artifact on a trusted builder (e.g. GitHub-hosted runners), or add this
#     builder id (or a prefix of it) to trusted_builders after reviewing it.
#   collections: [recommended]
deny_untrusted_builder := [result |
	some v in _verifications
	v.status == "verified"
	v.slsa != null
	id := v.slsa.builder_id
	is_string(id)
	not _trusted_builder(id)
	result := {
		"code": "provenance.untrusted_builder",
		"msg": sprintf("%s was built by %s, which is not a trusted builder", [object.get(v.subject, "name", "artifact"), id]),
		"component": v.component,
		"location": _location(v),
		"evidence": {"verification": v, "builder_id": id, "trusted_builders": object.get(_config, "trusted_builders", [])},
		"source": "provenance",
	}
]

# METADATA
# title: Model signature that could not be checked
# description: >-
#   A model carries a signature the gate could not check: it is signed with a key or certificate that was
#   not configured, or in a format that cannot be verified offline. Nothing is known about the model until
#   the signature is checked.
# custom:
#   short_name: model_unverified
#   severity: medium
#   solution: >-
#     Configure the verification material in policy data (gate.config.provenance.model_public_key or
#     model_certificate_chain), or run `gate verify MODEL --public-key ...` to check it.
#   collections: [recommended]
warn_model_unverified := [result |
	some v in _verifications
	v.kind == "model-signing"
	v.status in {"unverifiable", "unsupported"}
	result := {
		"code": "provenance.model_unverified",
		"msg": sprintf("the signature of model %s was not checked: %s", [_first(v.files, object.get(v.subject, "name", "model")), v.reason]),
		"component": v.component,
		"location": _location(v),
		"evidence": v,
		"source": "provenance",
	}
]
