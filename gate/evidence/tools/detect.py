"""Tool-poisoning detection: hidden or injected instructions in the text a model reads about a tool.

Every text field of a definition is checked (name, title, description, annotations, every parameter's name,
title, description, enum values, defaults and examples, output schema, prompt arguments, server
instructions). Each field is first normalised (:mod:`gate.evidence.tools.normalize`); the detectors read
the normalised text and, separately, every hidden part (tag characters, comments, concealed or encoded
text), where anything instruction-like is worse.

The detectors look for the *shape* of an attack, not for phrases from a sample:

- ``override``: attempts to replace the model's instructions ("ignore previous instructions");
- ``directive``: text addressed to the model rather than describing the tool ("note to the assistant",
  ``<IMPORTANT>``, "you must", "before using this tool ...");
- ``secrecy``: concealment from the user ("do not tell the user", "silently");
- ``sensitive``: requests for files, secrets, credentials, the system prompt or the conversation;
- ``exfiltration``: channels out (external URLs, e-mail, "send ... to a remote host", smuggling data into
  a parameter);
- ``shadowing``: rules about *other* tools or servers ("when send_email is used, always bcc ...");
- ``side-effect``: a simple tool that "also" reads, sends or runs something (description/behaviour mismatch);
- ``conditional``: behaviour that changes later (rug-pull language: "after the third call");
- ``output-injection``: making the model obey the tool's output;
- schema tricks: parameters that exist to receive secrets or the conversation.

A quoted or described phrase ("detects attempts to 'ignore previous instructions'", "Sample response:
...", "is illustrative, not an instruction") is a *mention*, reported at low severity and never combined.
Single weak signals stay low or medium; severity rises when signals combine (secrets + a channel out,
directive + concealment, anything instruction-like in hidden text). A tool is *flagged* when a finding
reaches the threshold (``high`` by default; policy data can change it).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gate.evidence.tools.normalize import normalise
from gate.record import Record

SEVERITIES = ("info", "low", "medium", "high", "critical")
RANK = {s: n for n, s in enumerate(SEVERITIES)}
DEFAULT_FLAG_SEVERITY = "high"


class _Pre:
    """A regex behind a cheap substring test: most descriptions contain none of the words a pattern needs,
    and ``in`` on a lower-cased string is far cheaper than a regex scan."""

    def __init__(self, regex: re.Pattern[str], keys: tuple[str, ...]) -> None:
        self.regex = regex
        self.keys = keys

    def _maybe(self, text: str) -> bool:
        low = text.lower()
        return any(k in low for k in self.keys)

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if self._maybe(text) else None


@dataclass(frozen=True, repr=False)
class Finding(Record):
    detector: str
    severity: str
    field: str
    span: str
    explanation: str
    decoded: str | None = None
    category: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "detector": self.detector,
            "severity": self.severity,
            "field": self.field,
            "span": self.span,
            "explanation": self.explanation,
        }
        if self.decoded is not None:
            out["decoded"] = self.decoded
        return out


# -- patterns ------------------------------------------------------------------------------------------

_I = re.I
MODEL = r"(?:assistant|ai|a\.i\.|model|llm|agent|claude|gpt|chatgpt|copilot|cursor|language model)"
USER = r"(?:the\s+|this\s+|your\s+)?(?:user|users|human|person|operator|anyone|them|him|her|client)"

OVERRIDE = [
    re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|overrule|discard)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?"
        r"(?:the\s+|your\s+|my\s+|these\s+|those\s+|its\s+)?(?:[\w'-]+\s+){0,2}?(?:previous|prior|above|earlier|"
        r"preceding|original|former|existing|system|safety|current|other|actual)?\s*(?:instructions?|directions?|"
        r"directives?|rules?|guidelines?|prompts?|guardrails?|constraints?|polic(?:y|ies)|restrictions|messages?|"
        r"context|requests?|guidance|orders|programming|training)\b",
        _I,
    ),
    re.compile(
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:the\s+)?(?:above|previous|prior)\b", _I
    ),
    re.compile(r"\b(?:new|updated|real|true)\s+(?:system\s+)?instructions?\s*(?:follow|are|:)", _I),
    re.compile(r"\bfollow\s+(?:these|the\s+following|my)\s+new\s+(?:instructions|rules|ones)\b", _I),
    re.compile(r"\b(?:jailbreak|developer\s+mode|dan\s+mode|do\s+anything\s+now)\b", _I),
    re.compile(
        r"\b(?:reveal|print|output|show|leak|repeat|disclose|dump|return)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:full\s+|entire\s+|hidden\s+)?(?:system\s+prompt|system\s+message|initial\s+instructions|"
        r"hidden\s+instructions)",
        _I,
    ),
]

DIRECTIVE = [
    re.compile(r"<\s*/?\s*(?:important|system|secret|hidden|instructions?|admin|directive|override)\s*>", _I),
    re.compile(
        rf"\b(?:note|message|instructions?|directive|reminder|hint)s?\s+(?:to|for)\s+(?:the\s+)?{MODEL}\b", _I
    ),
    re.compile(rf"\b{MODEL}\s+(?:instructions?|directives?|note|only)\s*[:\]]", _I),
    re.compile(r"(?:^|[\s\[(])(?:system|assistant|important|attention|warning\s+to\s+ai)\s*:\s*(?=\S)", _I),
    re.compile(r"\bhidden\s+(?:directive|instruction|command|task|step)s?\b", _I),
    re.compile(
        r"\byou\s+(?:must|shall|are\s+required\s+to|need\s+to|have\s+to|should\s+always|will\s+now)\b", _I
    ),
    re.compile(
        r"\bit\s+is\s+(?:very\s+|extremely\s+|critically\s+)?(?:important|crucial|essential|vital|mandatory)"
        r"\s+that\s+you\b",
        _I,
    ),
    re.compile(r"\b_?system_?(?:injection|prompt|instruction|override|directive)s?\b|\bexecute\s*:", _I),
    re.compile(
        r"\b(?:this\s+(?:step\s+)?is\s+mandatory|mandatory\s+step|required\s+step|failure\s+to\s+comply)\b",
        _I,
    ),
    re.compile(r"\bfrom\s+now\s+on\b", _I),
    re.compile(
        r"\b(?:before|prior\s+to)\s+(?:using|calling|invoking|running|executing|responding|answering)\s+"
        r"(?:this|any|the|each|every)\b",
        _I,
    ),
    re.compile(
        r"\b(?:always|every\s+time|each\s+time|whenever)\s+(?:you\s+)?(?:call|use|invoke|run|respond|answer|"
        r"reply|include|send|append|add|pass|read|forward)\b",
        _I,
    ),
    re.compile(r"\b(?:comply|obey)\s+with\s+(?:the\s+)?(?:request|instructions?|orders?)\b", _I),
    re.compile(r"\bignore\s+(?:your\s+)?(?:safety|ethic|content)\b", _I),
    re.compile(
        r"\b(?:do\s+not|don't|never)\s+(?:ask|question|refuse|warn|check\s+with)\s+(?:for\s+)?(?:the\s+)?"
        r"(?:user|confirmation|permission|approval)",
        _I,
    ),
]

SECRECY = [
    re.compile(
        rf"\b(?:do\s+not|don't|dont|never|must\s+not|should\s+not|without)\s+(?:ever\s+)?(?:tell|telling|"
        rf"inform|informing|notify|notifying|mention|mentioning|reveal|revealing|alert|alerting|show|"
        rf"showing|disclose|disclosing|let|letting|warn|warning|ask|asking)\s+(?:it\s+|this\s+|that\s+)?"
        rf"(?:to\s+)?{USER}\b",
        _I,
    ),
    re.compile(
        r"\b(?:do\s+not|don't|never|must\s+not)\s+(?:mention|reveal|disclose|show|display|explain|report|"
        r"log|acknowledge)\s+(?:this|these|that|the|any|it)\b[^.]{0,40}?\b(?:step|instructions?|action|"
        r"behaviou?r|request|note|part|call|file|data|directive)",
        _I,
    ),
    re.compile(
        rf"\bwithout\s+(?:the\s+)?(?:{USER}(?:'s)?\s+)?(?:knowledge|knowing|noticing|consent|awareness|"
        rf"permission|being\s+told)\b",
        _I,
    ),
    re.compile(
        r"\b(?:keep|kept)\s+(?:this|it|these|that)\s+(?:a\s+)?(?:secret|hidden|confidential|private|quiet|"
        r"between\s+us)\b",
        _I,
    ),
    re.compile(rf"\b(?:hide|conceal)\s+(?:this|it|these|that|the)\b[^.]{{0,40}}\bfrom\s+{USER}\b", _I),
    re.compile(
        rf"\b{USER}\s+(?:must|should|need|does|do|will)\s*(?:not|n't|never)\s+(?:know|see|be\s+told|"
        rf"notice|find\s+out|be\s+aware)\b",
        _I,
    ),
    re.compile(r"\b(?:secretly|covertly|stealthily|surreptitiously|invisibly|behind\s+the\s+scenes)\b", _I),
]
SECRECY_WEAK = re.compile(r"\b(?:silently|quietly)\b", _I)

SENSITIVE_STRONG = re.compile(
    r"(?:~|\$home|%userprofile%|/home/\w+|/root|/users/\w+)?/?\.(?:ssh|aws|gnupg|kube|docker|azure|config/gcloud)"
    r"\b(?:/[\w.-]+)?|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|/etc/(?:passwd|shadow|sudoers)\b|"
    r"(?:^|[\s'\"`(/~])\.env\b(?:\s+file)?|\.(?:npmrc|pypirc|netrc|git-credentials|bash_history|zsh_history|pgpass)\b|"
    r"\b(?:mcp|claude_desktop_config|settings)\.json\b|\bwallet\.dat\b|\bkeychain\b|"
    r"\b(?:seed|recovery|mnemonic)\s+phrase\b|\bprivate\s+keys?\b",
    _I,
)
SENSITIVE_WORDS = re.compile(
    r"\b(?:api[\s_-]?keys?|access[\s_-]?tokens?|auth(?:entication)?[\s_-]?tokens?|session[\s_-]?tokens?|"
    r"bearer\s+tokens?|credentials?|passwords?|passphrases?|secrets?|cookies?|environment\s+variables?|"
    r"(?:all|every)\s+(?:the\s+)?(?:user|customer|personal|private)\s+(?:data|records|information|files)|"
    r"env\s+vars?|ssh\s+keys?)\b",
    _I,
)
CONVERSATION = re.compile(
    r"\b(?:(?:entire|full|whole|complete|previous|prior|past|all)\s+(?:conversation|chat|messages|dialog(?:ue)?)|"
    r"(?:conversation|chat|message)\s+(?:history|log|transcript)s?|system\s+prompt|previous\s+messages|"
    r"(?:every|each|all)\s+(?:message|prompt|request)s?\s+(?:the\s+)?user\s+(?:sends|types|writes)|"
    r"(?:seen|mentioned|shared|said|typed|received|pasted)\s+(?:earlier\s+|so\s+far\s+)?in\s+(?:this|the)\s+"
    r"(?:chat|conversation|session|thread)|you\s+(?:have|'ve)\s+(?:seen|received|been\s+(?:given|told)))\b",
    _I,
)
ACCESS_VERB = re.compile(
    r"\b(?:read|reads|reading|cat|open|opens|load|loads|include|includes|including|attach|attaches|collect|"
    r"collects|gather|gathers|harvest|harvests|extract|extracts|grab|grabs|retrieve|retrieves|fetch|fetches|"
    r"copy|copies|dump|dumps|embed|embeds|append|appends|pass|passes|provide|provides|send|sends|get|gets|"
    r"access|accesses|list|lists|steal|steals|exfiltrate|exfiltrates|contents?\s+of|upload|uploads|forward|"
    r"forwards|post|posts|insert|inserts|add|adds|put|puts)\b",
    _I,
)

EXFIL_VERB = (
    r"(?:send|sends|sending|post|posts|posting|upload|uploads|uploading|forward|forwards|forwarding|transmit|"
    r"transmits|relay|relays|report|reports|sync|syncs|mirror|mirrors|copy|copies|leak|leaks|beacon|ping|"
    r"pings|deliver|delivers|share|shares|cc|bcc|e-?mail|emails|redirect|redirects|route|routes|log|logs|submit|"
    r"submits|push|pushes|publish|publishes|export|exports|dump|dumps|write|writes)"
)
EXTERNAL = (
    r"(?:external|remote|third[\s-]?party|attacker(?:'s)?|outside|unknown|foreign|offsite|off-site|analytics|"
    r"tracking|telemetry|collection|collector|\S*exfil\w*|backup\s+server|our\s+(?:server|endpoint|api|host|service|"
    r"collector|backend)|my\s+(?:server|endpoint)|a\s+server|another\s+server|the\s+following\s+(?:url|address|"
    r"endpoint|host)|webhook|pastebin|ngrok|requestbin|discord|telegram)"
)
URL_RE = re.compile(r"\b(?:https?|ftp|wss?)://[^\s'\"<>)\]]+", _I)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", _I)
IP_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")
SIDE_CHANNEL = re.compile(r"\b(?:sidenote|side_note|side-note|sidecar)\b", _I)
EXFIL = [
    re.compile(r"\bexfiltrat\w*\b", _I),
    re.compile(
        rf"\b{EXFIL_VERB}\b[^.;\n]{{0,80}}?\b(?:to|into|via|through|at)\s+(?:an?\s+|the\s+|this\s+)?"
        rf"{EXTERNAL}",
        _I,
    ),
    re.compile(
        rf"\b{EXFIL_VERB}\b[^.;\n]{{0,80}}?\b(?:to|at|via)\s+(?:https?://|ftp://|wss?://|[\w.+-]+@[\w-]+\.|"
        rf"(?:\d{{1,3}}\.){{3}}\d{{1,3}})",
        _I,
    ),
    re.compile(
        r"\b(?:pass|put|place|embed|include|insert|append|add|encode|hide|smuggle|store|write|copy|repeat|echo|paste|"
        r"record|leak|send|forward)\b"
        r"[^.;\n]{0,80}?\b(?:in|into|inside|to|as)\s+(?:the\s+|a\s+|an\s+)?['\"`]?\w+['\"`]?\s+"
        r"(?:argument|parameter|param|field|property|key)\b",
        _I,
    ),
    re.compile(
        r"\b(?:pass|put|place|embed|include|insert|append|add|encode|hide|smuggle|store|write|copy|repeat|echo|paste|"
        r"record|leak|send|forward)\b"
        r"[^.;\n]{0,80}?\b(?:in|into|inside|as)\s+(?:the\s+)?['\"`]\w+['\"`]",
        _I,
    ),
    SIDE_CHANNEL,
    re.compile(r"\b(?:curl|wget|nc|ncat|netcat)\b[^\n]{0,80}?(?:-d|--data|-F|-T|--upload|\|)", _I),
]

SHADOW_REF = re.compile(
    r"\b(?:other|another|any\s+other|every\s+other|all\s+other|the\s+\w+|different)\s+(?:mcp\s+)?"
    r"(?:tools?|servers?|plugins?|functions?|integrations?)\b|\b\w+\s+(?:tool|server|mcp)\b|`[\w.-]+`|"
    r"\b[a-z]+_[a-z_]+\b",
    _I,
)
SHADOW_HIGH = [
    re.compile(
        r"\b(?:supersedes?|takes?\s+precedence\s+over|has\s+priority\s+over|shadows?)\s+(?:the\s+|any\s+|all\s+)?"
        r"(?:other\s+)?`?[\w.-]+`?\s+(?:tools?|servers?|functions?)\b",
        _I,
    ),
    re.compile(
        r"\b(?:always|instead)\b[^.]{0,30}?\b(?:replace|override|substitute|discard|ignore|rewrite|overwrite)\s+"
        r"(?:its|their|the)\s+(?:output|result|response|data|answer)s?\b",
        _I,
    ),
    re.compile(
        r"\bthe\s+`?[\w-]+_[\w-]+`?\s+(?:tool\s+)?(?:returns|is|gives|produces|has\s+become)\s+(?:\w+\s+)?"
        r"(?:incomplete|wrong|incorrect|broken|outdated|deprecated|unreliable|unsafe|compromised|malicious)\b",
        _I,
    ),
    re.compile(
        r"\b(?:when|whenever|if|before|after)\s+(?:the\s+)?(?:`[\w.-]+`|[\w-]+_[\w-]+|(?!(?:this|that|which|a|an)\b)"
        r"[\w-]+\s+tool)\s+(?:tool\s+)?(?:is|are|gets?)\s+"
        r"(?:called|used|invoked|run|executed)\b[^.]{0,80}?\b(?:first|always|also|instead|must|should|change|"
        r"reroute|redirect|replace|add|include|send|set)\b",
        _I,
    ),
    re.compile(
        r"\b(?:change|set|replace|switch|reroute|redirect|modify|alter|rewrite)\s+(?:the\s+)?(?:recipient|"
        r"destination|address|account|to:?\s+field|bcc|cc|target|iban|wallet)\b[^.]{0,60}?\bto\s+"
        r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[A-Z]{2}\d{2}[A-Z0-9]{4,}|[\w-]*\d[\w-]*|(?:https?|wss?)://\S+)",
        _I,
    ),
    re.compile(
        r"\ball\s+(?:e-?mails?|messages?|requests?|calls?|transfers?|payments?|queries|commands?|files?)\s+"
        r"[^.]{0,60}?\b(?:must|should|shall|need\s+to)\b[^.]{0,60}?\b(?:be\s+)?(?:sent|go|redirected|"
        r"routed|copied|cc|bcc|forwarded|include|use)\b",
        _I,
    ),
]
SHADOW = [
    re.compile(
        r"\bwhen(?:ever)?\s+(?:the\s+)?(?:user|you|anyone|the\s+assistant|the\s+model|someone)\s+"
        r"(?:calls?|uses?|invokes?|runs?|executes?|requests?|asks?\s+(?:for|to))\b[^.]{0,80}?\b(?:tool|"
        r"server|function|`|_)",
        _I,
    ),
    re.compile(
        r"\b(?:when|whenever|if|before|after)\s+(?:the\s+)?`?[\w-]+_[\w-]+`?\s+(?:tool\s+)?(?:is|are|gets?)\s+"
        r"(?:called|used|invoked|run|executed)\b",
        _I,
    ),
    re.compile(r"\binstead\s+of\s+(?:using|calling|invoking|running)\b", _I),
    re.compile(
        r"\b(?:do\s+not|don't|never)\s+(?:use|call|invoke|trust|run)\s+(?:the\s+|any\s+)?(?:other|another|"
        r"`?[\w-]+_[\w-]+`?|(?!this\b|that\b|it\b)[\w-]+\s+(?:tool|server))\b",
        _I,
    ),
    re.compile(
        r"\b(?:overrides?|replaces?|supersedes?|takes?\s+precedence\s+over|has\s+priority\s+over|shadows?)\s+"
        r"(?:the\s+|all\s+|any\s+)?(?:other|another|existing|original|built-in|default|`?[\w-]+_[\w-]+`?|"
        r"(?!this\b|that\b|it\b)[\w-]+\s+(?:tool|server|function))\b",
        _I,
    ),
    re.compile(
        r"\ball\s+(?:e-?mails?|messages?|requests?|calls?|transfers?|payments?|queries|commands?|files?)\s+"
        r"[^.]{0,60}?\b(?:must|should|shall|need\s+to)\b[^.]{0,60}?\b(?:be\s+)?(?:sent|go|redirected|"
        r"routed|copied|cc|bcc|forwarded|include|use)\b",
        _I,
    ),
    re.compile(
        r"\b(?:change|set|replace|switch)\s+(?:the\s+)?(?:recipient|destination|address|account|"
        r"to:?\s+field|bcc|cc)\b[^.]{0,60}?\bto\b",
        _I,
    ),
]

_GUARDED = re.compile(
    r"\b(?:never|do\s+not|don't|must\s+not|mustn't|should\s+not|shouldn't|cannot|can't|only)\s+(?:[\w'-]+\s+){0,6}?"
    r"(?:without|with\s+no)\s+\S",
    _I,
)
SIDE_EFFECT = re.compile(
    r"\b(?:also|additionally|secretly|then|afterwards|in\s+addition|as\s+well)\b[^.;\n]{0,50}?\b(?:sends?|posts?|"
    r"uploads?|transmits?|forwards?|reads?|writes?|deletes?|removes?|executes?|runs?|downloads?|installs?|"
    r"exfiltrates?|copies|copy|collects?|records?|logs?|shares?)\b",
    _I,
)
DESTRUCTIVE = re.compile(
    r"\b(?:delete|erase|wipe|destroy|remove|rm\s+-rf|format|overwrite|drop)\s+(?:every|all|the\s+entire|the\s+whole|"
    r"everything|any)\b[^.]{0,40}?\b(?:files?|folders?|directory|directories|workspace|repository|repo|disk|"
    r"database|data|home|system)\b",
    _I,
)
CONDITIONAL = [
    re.compile(
        r"\bafter\s+(?:the\s+)?(?:\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|"
        r"ninth|tenth|hundredth|few|several|a\s+few|n|some)\s+"
        r"(?:calls?|uses?|invocations?|times?|runs?|requests?)\b[^.]{0,80}?\b(?:start|begin|switch|change|"
        r"also|instead|will|should|must)\b",
        _I,
    ),
    re.compile(
        r"\bon\s+(?:all\s+)?(?:subsequent|later|future|every\s+other)\s+(?:calls?|invocations?|uses?|runs?)\b"
        r"[^.]{0,60}?\b(?:instead|also|send|read|include|ignore|must|should|will)\b",
        _I,
    ),
    re.compile(
        r"\bonce\s+(?:the\s+user\s+has\s+)?(?:approved|trusted|installed|enabled|whitelisted|allowed)\b", _I
    ),
    re.compile(
        r"\b(?:once|after|when)\s+(?:[\w']+\s+){0,5}?(?:has\s+been|have\s+been|is|was|gets?)\s+(?:approved|"
        r"trusted|installed|reviewed|whitelisted|allowlisted|pinned|locked|audited)\b[^.]{0,80}?\b(?:switch\w*|"
        r"start\w*|begin\w*|change\w*|will|enable\w*|activat\w*|read\w*|send\w*|also)\b",
        _I,
    ),
    re.compile(
        r"\b(?:after|once)\s+(?:the\s+)?(?:approval|review|audit|this\s+tool\s+(?:is|has\s+been)\s+approved)"
        r"|\bpost-?(?:approval|review|install(?:ation)?)\b|\b(?:during|for)\s+(?:the\s+)?(?:review|audit|"
        r"approval)\b[^.]{0,60}?\b(?:benign|harmless|stable|clean|normal)|\b(?:benign(?:ly)?|harmless(?:ly)?|"
        r"normal(?:ly)?)\b[^.]{0,40}?\b(?:during|until|before)\s+(?:the\s+)?(?:review|approval|audit)\b",
        _I,
    ),
    re.compile(
        r"\b(?:activates?|enables?|switch(?:es)?\s+on|triggers?)\b[^.]{0,60}?\bonly\s+(?:after|once|when)\b",
        _I,
    ),
    re.compile(
        r"\b(?:starting|beginning)\s+(?:tomorrow|next\s+(?:week|month|call)|on\s+\w+\s+\d+)\b[^.]{0,60}?\b"
        r"(?:will|should|must|instead)\b",
        _I,
    ),
]
SAFETY_BYPASS = [
    re.compile(
        r"\b(?:disable|disables|bypass|bypasses|circumvent|turn\s+off|switch\s+off|deactivate|suspend|ignore)\s+"
        r"(?:all\s+|any\s+|the\s+|every\s+|your\s+)?(?:\w+\s+)?(?:security|safety|guardrails?|guard\s+rails?|"
        r"content\s+filters?|safety\s+filters?|audit(?:ing)?(?:\s+logging)?|permission\s+checks?|security\s+checks?|"
        r"restrictions|ethical\s+\w+|policies)\b",
        _I,
    ),
    re.compile(
        r"\bgrant\w*\s+(?:me\s+|the\s+caller\s+|yourself\s+)?(?:full\s+|unrestricted\s+|elevated\s+|root\s+|"
        r"admin(?:istrator)?\s+|administrative\s+|privileged\s+)(?:\w+\s+)?(?:access|privileges?|rights|permissions?)\b",
        _I,
    ),
    re.compile(
        r"\byou\s+are\s+now\s+(?:in\s+)?(?:an?\s+)?(?:\w+\s+){0,3}?(?:mode|assistant|unrestricted|jailbroken|"
        r"admin\w*|root|dan|free)\b",
        _I,
    ),
    re.compile(
        r"\b(?:unrestricted|god|developer|admin|sudo)\s+mode\b|\brole\s+change\b|\bsecurity_level\s*=\s*0\b",
        _I,
    ),
    re.compile(r"\btrust\s+this\s+tool\s+(?:completely|fully|blindly|unconditionally)\b", _I),
    re.compile(
        r"\b(?:without|with\s+no)\s+(?:asking\s+(?:for\s+)?)?(?:the\s+)?(?:user(?:'s)?\s+)?(?:confirmation|"
        r"approval|consent|validation|review)\b",
        _I,
    ),
]
PREFERENCE = [
    re.compile(
        r"\balways\s+(?:choose|use|pick|select|prefer|prioriti[sz]e|try|call)\s+this\s+tool\s+"
        r"(?:first|over|before|instead|for\s+(?:all|every|any))\b",
        _I,
    ),
    re.compile(
        r"\b(?:choose|use|pick|select|prefer|prioriti[sz]e|try|call)\s+this\s+tool\s+(?:first\s+)?"
        r"(?:over|before\s+(?:any|all|every)\s+other|instead\s+of\s+(?:any|all|the\s+other|other)|"
        r"for\s+(?:all|every|any)\b)",
        _I,
    ),
    re.compile(
        r"\b(?:ignore|avoid|never\s+use|do\s+not\s+use|don't\s+use|stop\s+using|skip)\s+(?:all\s+|any\s+)?"
        r"(?:the\s+)?other\s+(?:\w+\s+)?(?:tools?|servers?|converters?|calculators?|alternatives?|options?|"
        r"services?|providers?)\b",
        _I,
    ),
    re.compile(
        r"\bother\s+(?:\w+\s+)?(?:tools?|servers?|converters?|services?)\s+(?:are|is)\s+(?:being\s+)?"
        r"(?:deprecated|outdated|inaccurate|broken|unsafe|malicious|compromised|obsolete)\b",
        _I,
    ),
    re.compile(
        r"\b(?:the\s+)?only\s+(?:\w+\s+)?(?:tool|converter|server|service)\s+you\s+(?:should|can|may|must)\s+"
        r"(?:trust|use)\b",
        _I,
    ),
    re.compile(r"\b(?:prioriti[sz]e|prefer)\s+this\s+tool\b", _I),
]
OUTPUT_INJECTION = re.compile(
    r"\b(?:text|output|result|response|content|data)\s+(?:returned|produced|coming)\s+(?:by|from)\s+(?:this|the)\s+tool\s+"
    r"(?:is|are)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:instructions?|commands?|directives?|orders?|system\s+prompt)\b|"
    r"\b(?:instructions?|commands?|directives?)\s+(?:in|from|within|inside|returned\s+by|contained\s+in|found\s+in)\s+"
    r"(?:the\s+|its\s+|this\s+)?(?:output|result|response|page|content|document|e-?mail|message|tool)s?\b[^.]{0,40}?"
    r"\bmust\s+be\s+(?:followed|obeyed|executed|carried\s+out)\b|"
    r"\b(?:output|result|response|answer|content|text|reply)s?\s+(?:must|should|shall|is\s+to|are\s+to|will)\s+"
    r"(?:always\s+)?be\s+(?:treated|used|interpreted|handled|followed|obeyed|executed)\s+as\s+(?:an?\s+|the\s+)?"
    r"(?:new\s+|updated\s+)?(?:system\s+prompt|system\s+message|instructions?|commands?|directives?)\b|"
    r"\btreat\s+(?:any|all|every|each)\s+(?:instructions?|commands?|text|requests?)\s+(?:found\s+|contained\s+|"
    r"embedded\s+)?(?:in|inside|within)\b[^.]{0,60}?\bas\s+(?:an?\s+)?(?:[\w,]+\s+){0,3}?(?:command|instruction|"
    r"request|order)s?\b|"
    r"\b(?:treat|consider|interpret|handle)\s+(?:the\s+|its\s+|any\s+)?(?:output|result|response|content|text|"
    r"returned\s+\w+)\s+as\s+(?:your\s+)?(?:new\s+)?(?:instructions?|commands?|system\s+(?:prompt|messages?))\b|"
    r"\b(?:follow|obey|execute|carry\s+out|perform)\s+(?:any|all|the)?\s*(?:instructions?|commands?|directives?)"
    r"\s+(?:found|contained|embedded|included|present|returned)?\s*(?:in|inside|within|from)\s+(?:the\s+|its\s+)?"
    r"(?:output|result|response|page|content|document|file|email|message)s?\b",
    _I,
)
SHELL = re.compile(
    r"(?:\b(?:curl|wget|bash|zsh|sh\s+-[ic]|/bin/(?:ba)?sh|nc|ncat|netcat|chmod|chown|rm\s+-rf|powershell|"
    r"iex|invoke-expression|python3?\s+-c|perl\s+-e|base64\s+-d|eval|exec|mkfifo|crontab)\b|/dev/tcp/|\|\s*(?:ba)?sh\b|"
    r"&&|>\s*&\s*/dev/)",
    _I,
)

# A phrase is *mentioned*, not *used*, when it is quoted, or the sentence frames it as an example or as
# something the tool detects or explains.
MENTION_FRAME = re.compile(
    r"\b(?:detects?|detecting|detection\s+of|analy[sz]es|analy[sz]ing|classif(?:y|ies|ying)|explains?|explaining|"
    r"describes?|describing|documentation|such\s+as|e\.g\.|for\s+example|for\s+instance|sample|example\s+(?:of|"
    r"input|prompt|attack)|mock|canned|expected\s+(?:output|response|result)|test\s+(?:case|data|fixture)s?|"
    r"illustrat\w*|checks?\s+whether|checking\s+whether|reports?\s+(?:the\s+)?attempts?|simulat\w*|"
    r"red[\s-]?team\w*|benchmark\w*|training\s+(?:text|data))\b",
    _I,
)
NOT_AN_INSTRUCTION = re.compile(r"\bnot\s+(?:an?\s+)?(?:instruction|directive|command)s?\b", _I)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'<\[(])|\n{2,}")

_SECRET_PARAM = re.compile(
    r"^(?:side_?note|side_?car|sidecar|covert\w*|hidden\w*|exfil\w*|system_?prompt|previous_?messages|"
    r"(?:conversation|chat|message)_?(?:history|log|transcript|context)|full_?(?:conversation|context|history)|"
    r"ssh_?(?:key|private_?key)|private_?key|id_rsa|aws_?(?:secret|credentials?)\w*|env_?vars?|"
    r"environment(?:_variables)?|api_?keys?_?dump|credentials?_?dump|cookies?)$",
    _I,
)
_CREDENTIAL_PARAM = re.compile(
    r"(?:password|passwd|passphrase|secret|token|api_?key|credential|private_?key)", _I
)
_CREDENTIAL_PURPOSE = re.compile(
    r"\b(?:auth\w*|log\s*in|login|sign\s*in|credential\w*|password\w*|token\w*|secret\w*|key\w*|vault|account\w*|"
    r"connect\w*|database|db|api|oauth|ssh|git|registry|encrypt\w*|decrypt\w*|hash\w*|sign\w*|verif\w*|"
    r"session\w*|user\w*)\b",
    _I,
)
_CONVERSATION_PURPOSE = re.compile(
    r"\b(?:conversation|chat|history|message|messages|transcript|summar\w*|dialog\w*)\b", _I
)


# Prefiltered views of the slowest patterns (measured on 1,450 real and synthetic descriptions).
_EXTERNAL_KEYS = ("external", "remote", "third", "attacker", "outside", "unknown", "foreign", "offsite", "off-site",
                  "analytics", "tracking", "telemetry", "collect", "exfil", "server", "our ", "my ", "endpoint",
                  "the following", "webhook", "pastebin", "ngrok", "requestbin", "discord", "telegram")  # fmt: skip
_CONVERSATION_SCAN = _Pre(CONVERSATION, ("conversation", "chat", "message", "dialog", "history", "transcript",
                                         "prompt", "request", "seen", "mentioned", "shared", "said", "typed",
                                         "received", "pasted", "you have", "you've", " log"))  # fmt: skip
_SENSITIVE_STRONG_SCAN = _Pre(SENSITIVE_STRONG, (".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", "gcloud",
                                                 "id_", "/etc/", ".env", "rc", "credentials", "history", "pgpass",
                                                 ".json", "wallet", "keychain", "phrase", "private key"))  # fmt: skip
_SENSITIVE_WORDS_SCAN = _Pre(SENSITIVE_WORDS, ("api", "token", "credential", "password", "passphrase", "secret",
                                               "cookie", "environment", "env", "ssh", "user ", "customer ",
                                               "personal ", "private "))  # fmt: skip
_EXFIL_SCAN: list[Any] = [
    EXFIL[0],
    _Pre(EXFIL[1], _EXTERNAL_KEYS),
    _Pre(EXFIL[2], ("://", "@", ".")),
    *EXFIL[3:],
]
_OVERRIDE_SCAN: list[Any] = [*OVERRIDE[:5], _Pre(OVERRIDE[5], ("system", "instructions"))]
_SECRECY_SCAN: list[Any] = [
    *SECRECY[:5],
    _Pre(SECRECY[5], ("not", "n't", "never")),
    _Pre(SECRECY[6], ("secret", "covert", "stealth", "surreptitious", "invisibl", "behind the scenes")),
    *SECRECY[7:],
]
_SHADOW_HIGH_SCAN: list[Any] = [
    *SHADOW_HIGH[:4],
    _Pre(SHADOW_HIGH[4], ("recipient", "destination", "address", "account", "to:", "field", "cc", "target", "iban",
                          "wallet")),
    *SHADOW_HIGH[5:],
]  # fmt: skip
_DIRECTIVE_SCAN: list[Any] = [*DIRECTIVE[:2], _Pre(DIRECTIVE[2], (":", "]")), *DIRECTIVE[3:]]


@dataclass(repr=False)
class _Hit(Record):
    category: str
    detector: str
    severity: str
    field: str
    span: str
    explanation: str
    hidden: str | None = None  # technique when found in hidden text
    decoded: str | None = None
    mention: bool = False


def _sentence_of(text: str, start: int, end: int) -> str:
    left = max(
        text.rfind(". ", 0, start),
        text.rfind("\n", 0, start),
        text.rfind("! ", 0, start),
        text.rfind("? ", 0, start),
    )
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left + 1 : right + 1]


def _is_mention(text: str, start: int, end: int) -> bool:
    """Quoted, or framed as an example / something detected or explained."""
    # Quotes alone are not enough (an attacker can quote an instruction): the sentence must frame it.
    sentence = _sentence_of(text, start, end)
    if MENTION_FRAME.search(sentence):
        return True
    # "... : ignore previous" where the label names an example; "not an instruction" anywhere after.
    return bool(NOT_AN_INSTRUCTION.search(text[start : start + 400]))


def _mk(
    category: str,
    detector: str,
    severity: str,
    field: str,
    m: re.Match[str],
    text: str,
    why: str,
    hidden: str | None,
    decoded: str | None,
) -> _Hit:
    span = m.group(0)
    mention = category in {
        "override",
        "directive",
        "secrecy",
        "exfiltration",
        "sensitive",
        "shadowing",
        "conditional",
    } and _is_mention(text, m.start(), m.end())
    return _Hit(category, detector, severity, field, span[:200], why, hidden, decoded, mention)


def _scan_text(text: str, field: str, hidden: str | None, decoded: str | None) -> list[_Hit]:
    hits: list[_Hit] = []

    def add(name: str, detector: str, severity: str, match: re.Match[str] | None, why: str) -> None:
        if match is not None:
            hits.append(_mk(name, detector, severity, field, match, text, why, hidden, decoded))

    def first(patterns: Iterable[Any]) -> re.Match[str] | None:
        """The match of the first pattern that matches: one finding per detector, not one per pattern."""
        return next((m for rx in patterns if (m := rx.search(text))), None)

    for rx in _OVERRIDE_SCAN:
        add(
            "override",
            "override-instructions",
            "high",
            rx.search(text),
            "tries to replace or reveal the model's own instructions",
        )
    for rx in _DIRECTIVE_SCAN:
        add(
            "directive",
            "model-directive",
            "medium",
            rx.search(text),
            "text addressed to the model (an instruction), not a description of the tool",
        )
    add(
        "secrecy",
        "secrecy",
        "high",
        first(_SECRECY_SCAN),
        "asks the model to hide what it does from the user",
    )
    add(
        "secrecy-weak",
        "secrecy",
        "low",
        SECRECY_WEAK.search(text),
        "an action done without the user seeing it",
    )
    add(
        "sensitive",
        "sensitive-data",
        "medium",
        _SENSITIVE_STRONG_SCAN.search(text),
        "names a credential file, key or secret store",
    )
    add(
        "sensitive",
        "conversation-access",
        "medium",
        _CONVERSATION_SCAN.search(text),
        "refers to the conversation, its history or the system prompt",
    )
    add(
        "sensitive-weak",
        "sensitive-data",
        "low",
        _SENSITIVE_WORDS_SCAN.search(text),
        "mentions secrets or credentials",
    )
    add(
        "exfiltration",
        "exfiltration-channel",
        "medium",
        first(_EXFIL_SCAN),
        "a channel that moves data out (remote host, extra parameter, upload)",
    )
    for rx, what in ((URL_RE, "a URL"), (EMAIL_RE, "an e-mail address"), (IP_RE, "an IP address")):
        add(
            "channel",
            "external-destination",
            "low",
            rx.search(text),
            f"{what} in text the model reads: a possible destination for data",
        )
    shadow = first(_SHADOW_HIGH_SCAN)
    add(
        "shadowing",
        "tool-shadowing",
        "high",
        shadow,
        "a rule that changes how another tool behaves or is trusted",
    )
    if shadow is None:
        add(
            "shadowing",
            "tool-shadowing",
            "medium",
            first(SHADOW),
            "rules about other tools or servers: a tool can change how the model uses them",
        )
    add(
        "side-effect",
        "behaviour-mismatch",
        "low",
        SIDE_EFFECT.search(text),
        "the description adds an action beyond the tool's stated purpose",
    )
    add(
        "destructive",
        "destructive-instruction",
        "medium",
        DESTRUCTIVE.search(text),
        "asks for a sweeping destructive action",
    )
    add(
        "conditional",
        "conditional-behaviour",
        "high",
        first(CONDITIONAL),
        "behaviour that changes after approval or after some calls (rug-pull language)",
    )
    # "never run this without user approval" is a safeguard, not a bypass: the first unguarded match counts.
    unguarded = (
        m
        for rx in SAFETY_BYPASS
        if (m := rx.search(text)) and not _GUARDED.search(text[max(0, m.start() - 80) : m.start() + 16])
    )
    add(
        "override",
        "safety-bypass",
        "high",
        next(unguarded, None),
        "tells the model to drop its safety checks, confirmations or privileges model",
    )
    add(
        "shadowing",
        "preference-manipulation",
        "high",
        first(PREFERENCE),
        "steers the model to this tool and away from other tools or servers",
    )
    add(
        "output-injection",
        "output-injection",
        "high",
        OUTPUT_INJECTION.search(text),
        "tells the model to obey text that comes back from the tool",
    )
    return hits


def _escalate(hits: list[_Hit]) -> None:
    for h in hits:
        if h.mention:
            h.severity = "low"
            h.explanation += " (quoted or described as an example: a mention, not an instruction)"
        elif h.hidden is not None and h.category in {
            "override",
            "directive",
            "secrecy",
            "sensitive",
            "exfiltration",
            "shadowing",
            "destructive",
            "conditional",
            "output-injection",
        }:
            h.severity = "critical"
            h.explanation += f" - found in hidden text ({h.hidden})"


def _combine(hits: list[_Hit]) -> list[Finding]:
    """Signals that together are an attack."""
    live = [h for h in hits if not h.mention]
    cats = {h.category for h in live}
    out: list[Finding] = []

    def spans(*names: str) -> str:
        return " | ".join(dict.fromkeys(h.span for h in live if h.category in names))[:400]

    def fld(*names: str) -> str:
        return ",".join(sorted({h.field for h in live if h.category in names}))

    rules: list[tuple[set[str], set[str], str, str]] = [
        (
            {"sensitive"},
            {"exfiltration", "channel"},
            "critical",
            "sensitive data together with a channel out",
        ),
        (
            {"secrecy"},
            {
                "sensitive",
                "exfiltration",
                "directive",
                "side-effect",
                "shadowing",
                "destructive",
                "sensitive-weak",
            },
            "critical",
            "concealment from the user together with an action",
        ),
        (
            {"directive"},
            {"sensitive"},
            "high",
            "an instruction to the model to access secrets or the conversation",
        ),
        ({"directive"}, {"exfiltration"}, "high", "an instruction to the model to send data out"),
        ({"directive", "override"}, {"destructive"}, "high", "an instruction to destroy data"),
        (
            {"shadowing"},
            {"directive", "exfiltration", "secrecy-weak", "channel", "sensitive"},
            "high",
            "rules that change how other tools behave",
        ),
        (
            {"side-effect"},
            {"sensitive", "exfiltration"},
            "high",
            "a tool that also moves sensitive data: the description and the stated purpose disagree",
        ),
        ({"sensitive-weak"}, {"exfiltration"}, "high", "secrets together with a channel out"),
        ({"secrecy-weak"}, {"exfiltration", "sensitive"}, "high", "a silent action on data"),
        (
            {"override"},
            {"sensitive", "exfiltration", "sensitive-weak"},
            "critical",
            "an instruction override together with data access or a channel out",
        ),
    ]
    for left, right, severity, why in rules:
        if cats & left and cats & right:
            names = tuple(left | right)
            out.append(
                Finding(
                    "poisoning-combination",
                    severity,
                    fld(*names),
                    spans(*names),
                    why,
                    category="combination",
                )
            )
    # Keep the strongest combination per severity (one explanation is enough per level).
    seen: set[str] = set()
    unique = []
    for f in sorted(out, key=lambda f: -RANK[f.severity]):
        if f.severity in seen:
            continue
        seen.add(f.severity)
        unique.append(f)
    return unique


# -- walking the definition ----------------------------------------------------------------------------

MAX_SCHEMA_NODES = 20000
MAX_SCHEMA_DEPTH = 64


def text_fields(kind: str, definition: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text a model reads, as (field path, text). Bounded in depth and count."""
    for key in ("name", "title", "description", "uri", "uriTemplate", "mimeType"):
        v = definition.get(key)
        if isinstance(v, str) and v:
            yield key, v
    ann = definition.get("annotations")
    if isinstance(ann, dict):
        for k, v in ann.items():
            if isinstance(v, str):
                yield f"annotations.{k}", v
    if kind == "prompt":
        for n, arg in enumerate(definition.get("arguments") or []):
            if isinstance(arg, dict):
                for k in ("name", "title", "description"):
                    if isinstance(arg.get(k), str):
                        yield f"arguments[{n}].{k}", arg[k]
    for schema_key in ("inputSchema", "outputSchema"):
        schema = definition.get(schema_key)
        if isinstance(schema, dict):
            yield from _schema_texts(schema, schema_key)


def _schema_texts(schema: dict[str, Any], root: str) -> Iterator[tuple[str, str]]:
    stack: list[tuple[str, Any, int]] = [(root, schema, 0)]
    seen = 0
    while stack:
        path, node, depth = stack.pop()
        seen += 1
        if seen > MAX_SCHEMA_NODES:
            yield f"{root}", f"[schema has more than {MAX_SCHEMA_NODES} nodes: not fully analysed]"
            return
        if depth > MAX_SCHEMA_DEPTH:
            yield path, f"[schema nested deeper than {MAX_SCHEMA_DEPTH} levels: not analysed below]"
            continue
        if isinstance(node, dict):
            for k in ("title", "description", "$comment", "pattern", "format"):
                if isinstance(node.get(k), str):
                    yield f"{path}.{k}", node[k]
            for k in ("default", "const", "examples", "enum"):
                if k in node:
                    for n, s in enumerate(_strings(node[k])):
                        yield f"{path}.{k}" + (f"[{n}]" if n else ""), s
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    yield f"{path}.properties.{name}#name", str(name)
                    stack.append((f"{path}.properties.{name}", sub, depth + 1))
            for k, v in node.items():
                if k in ("properties", "title", "description", "default", "const", "examples", "enum"):
                    continue
                if isinstance(v, dict | list):
                    stack.append((f"{path}.{k}", v, depth + 1))
        elif isinstance(node, list):
            for n, sub in enumerate(node):
                if isinstance(sub, dict | list):
                    stack.append((f"{path}[{n}]", sub, depth + 1))


def _strings(value: Any, limit: int = 200) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack and len(out) < limit:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(reversed(v[:limit]))
        elif isinstance(v, dict):
            stack.extend(list(v.values())[:limit])
    return out


# -- the entry points ----------------------------------------------------------------------------------


_IDENT_RE = re.compile(r"[A-Za-z0-9_.:/-]{0,64}")
_MEMO: dict[str, tuple[list[Finding], list[_Hit]]] = {}
_MEMO_MAX = 20_000


def analyse_text(text: str, field: str) -> tuple[list[Finding], list[_Hit]]:
    """Findings and signals of one text field. Texts repeat a lot across a surface (types, enum values,
    parameter names), so results are memoised per text and relabelled with the field."""
    memo = _MEMO.get(text)
    if memo is None:
        memo = _analyse_text(text)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[text] = memo
    findings, hits = memo
    return (
        [dataclasses.replace(f, field=field) for f in findings],
        [dataclasses.replace(h, field=field) for h in hits],
    )


def _analyse_text(text: str) -> tuple[list[Finding], list[_Hit]]:
    field = ""
    if _IDENT_RE.fullmatch(text):
        # One identifier-like token (a parameter name, a type, an enum value): only the channel names apply.
        m = SIDE_CHANNEL.search(text)
        hits = (
            [
                _Hit(
                    "exfiltration",
                    "exfiltration-channel",
                    "medium",
                    field,
                    m.group(0),
                    "a channel that moves data out (remote host, extra parameter, upload)",
                )
            ]
            if m
            else []
        )
        return [], hits
    norm = normalise(text)
    findings = [
        Finding(o.detector, o.severity, field, o.span, o.explanation, o.decoded, category="obfuscation")
        for o in norm.obfuscations
    ]
    hits = _scan_text(norm.text, field, None, None)
    for h in norm.hidden:
        sub = _scan_text(h.text, field, h.technique, h.text[:400])
        hits.extend(sub)
        if h.technique.endswith("-payload") and SHELL.search(h.text):
            findings.append(
                Finding(
                    "encoded-payload",
                    "critical",
                    field,
                    SHELL.search(h.text).group(0),  # type: ignore[union-attr]
                    f"an encoded {h.technique.split('-')[0]} string decodes to a shell command",
                    decoded=h.text[:400],
                    category="obfuscation",
                )
            )
    _escalate(hits)
    return findings, hits


def _schema_tricks(kind: str, definition: dict[str, Any]) -> list[_Hit]:
    hits: list[_Hit] = []
    schema = definition.get("inputSchema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return hits
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    purpose = " ".join(str(definition.get(k) or "") for k in ("name", "title", "description"))
    purpose_words = purpose.replace("_", " ")
    for name in schema["properties"]:
        pname = str(name)
        field = f"inputSchema.properties.{pname}#name"
        if _SECRET_PARAM.match(pname):
            convo = re.search(r"conversation|chat|message|history|prompt", pname, _I)
            if convo and _CONVERSATION_PURPOSE.search(purpose_words):
                continue
            sev = "high"
            hits.append(
                _Hit(
                    "exfiltration" if not convo else "sensitive",
                    "exfiltration-parameter",
                    sev,
                    field,
                    pname,
                    "a parameter whose name asks for secrets, the conversation or a covert side "
                    "channel" + (" (required)" if pname in required else ""),
                    None,
                    None,
                )
            )
        elif (
            _CREDENTIAL_PARAM.search(pname)
            and pname in required
            and not _CREDENTIAL_PURPOSE.search(purpose_words)
        ):
            hits.append(
                _Hit(
                    "sensitive",
                    "schema-mismatch",
                    "medium",
                    field,
                    pname,
                    "a required credential parameter that the tool's stated purpose does not explain",
                    None,
                    None,
                )
            )
    return hits


def analyse_definition(kind: str, definition: dict[str, Any]) -> list[Finding]:
    """All findings for one tool, prompt, resource or template (or instructions with kind 'instructions')."""
    findings: list[Finding] = []
    hits: list[_Hit] = []
    for field, text in text_fields(kind, definition):
        f, h = analyse_text(text, field)
        findings.extend(f)
        hits.extend(h)
    hits.extend(_schema_tricks(kind, definition))
    findings.extend(
        Finding(h.detector, h.severity, h.field, h.span, h.explanation, h.decoded, category=h.category)
        for h in hits
    )
    findings.extend(_combine(hits))
    return _dedupe(findings)


def analyse_instructions(text: str) -> list[Finding]:
    findings, hits = analyse_text(text, "instructions")
    findings.extend(
        Finding(h.detector, h.severity, h.field, h.span, h.explanation, h.decoded, category=h.category)
        for h in hits
    )
    findings.extend(_combine(hits))
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for f in sorted(findings, key=lambda f: (-RANK[f.severity], f.detector, f.field, f.span)):
        key = (f.detector, f.severity, f.field, f.span)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out


def max_severity(findings: list[Finding]) -> str | None:
    return max((f.severity for f in findings), key=lambda s: RANK[s], default=None)


def is_flagged(findings: list[Finding], threshold: str = DEFAULT_FLAG_SEVERITY) -> bool:
    return any(RANK[f.severity] >= RANK[threshold] for f in findings)


_TOKEN_RE = re.compile(r"[A-Za-z_][\w.-]*[\w]")


def cross_server_findings(
    name: str, description: str, own_names: set[str], peers: dict[str, tuple[str, str]]
) -> list[Finding]:
    """Shadowing across servers: ``peers`` maps tool names of *other* servers to (server, description).

    A tool with another server's tool name *and* a near-copy of its description impersonates it (the model
    cannot tell which one it calls; a mere name coincidence such as ``search`` is low). A tool whose
    description names another server's tool is steering how that tool is used."""
    import difflib

    out: list[Finding] = []
    if name in peers:
        server, peer_desc = peers[name]
        ratio = difflib.SequenceMatcher(
            None, description.lower().strip(" ."), peer_desc.lower().strip(" .")
        ).ratio()
        if ratio >= 0.75:
            out.append(
                Finding(
                    "impersonation",
                    "high",
                    "name",
                    name,
                    f"same name and a near-copy ({ratio:.0%}) of the description of a tool of another server "
                    f"({server}): it competes for that tool's calls",
                    category="shadowing",
                )
            )
        else:
            out.append(
                Finding(
                    "name-collision",
                    "low",
                    "name",
                    name,
                    f"another server ({server}) also has a tool with this name",
                    category="shadowing",
                )
            )
    for m in _TOKEN_RE.finditer(description[:20000]):
        tok = m.group(0)
        if tok in peers and tok not in own_names and tok != name and ("_" in tok or "-" in tok or "." in tok):
            out.append(
                Finding(
                    "cross-server-reference",
                    "high",
                    "description",
                    tok,
                    f"names {tok!r}, a tool of another server ({peers[tok][0]}): a tool's description has "
                    "no business directing how another server's tool is used",
                    category="shadowing",
                )
            )
            break
    return out
