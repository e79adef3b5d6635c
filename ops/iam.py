"""IAM, evaluated here: what a role's identity policies decide for a request, and which requests
(action, resource ARN, condition keys) an AWS SDK call makes IAM authorize.

moto's IAM checks ignore every condition operator but StringEquals and DynamoDB Local knows no
IAM (see NOTES), so the handler tests (and local mode) replay every call a function makes against
its own generated policy with this evaluator. It follows AWS's documented evaluation logic for
identity-based policies in one account: an explicit Deny wins, else an Allow that matches, else
implicit deny. It implements the operators listed in OPERATORS; any other operator, a policy
variable, or a condition on a key the request mapper does not model raises UnsupportedPolicy, so
nothing is ever allowed by a part of a policy this module does not understand. Likewise an SDK
operation `requests_for` does not know raises UnmappedCall instead of passing unchecked.
"""

from __future__ import annotations

import contextvars
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

ALLOW, DENY, IMPLICIT_DENY = "allow", "explicit deny", "implicit deny"


class UnsupportedPolicy(ValueError):
    """A policy uses something this evaluator does not implement."""


class UnmappedCall(LookupError):
    """An SDK operation whose IAM request the mapper does not know."""


@dataclass(frozen=True)
class Request:
    """What IAM authorizes: `context` maps condition keys to a string or a list of strings; a key
    mapped to None is one the mapper models for this action but the request does not carry."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = {k: v for k, v in self.context.items() if v is not None}
        return f"{self.action} on {self.resource}" + (f" with {json.dumps(shown, sort_keys=True)}" if shown else "")


# ---------------------------------------------------------------------------------------------
# Matching.


def like(pattern: str, value: str, *, fold: bool = False) -> bool:
    """IAM wildcards: `*` any run of characters, `?` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, (re.IGNORECASE if fold else 0) | re.DOTALL) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ARN matching (Resource, ArnLike): each of the six colon-separated parts separately, the
    last one (the resource) keeping its own colons; `*` alone matches anything."""
    if pattern == "*":
        return True
    wanted, got = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(got) == 6 and all(like(w, g) for w, g in zip(wanted, got))


def _listed(value: Any) -> list:
    return [value] if isinstance(value, (str, bool, int, float)) else list(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UnsupportedPolicy(f"not a number: {value!r}") from None


# Base operator → (negated, does policy value `p` match request value `v`)
OPERATORS: dict[str, tuple[bool, Callable[[str, str], bool]]] = {
    "StringEquals": (False, lambda p, v: p == v),
    "StringNotEquals": (True, lambda p, v: p == v),
    "StringEqualsIgnoreCase": (False, lambda p, v: p.lower() == v.lower()),
    "StringNotEqualsIgnoreCase": (True, lambda p, v: p.lower() == v.lower()),
    "StringLike": (False, like),
    "StringNotLike": (True, like),
    "ArnEquals": (False, arn_like),  # AWS documents ArnEquals and ArnLike as the same match
    "ArnLike": (False, arn_like),
    "ArnNotEquals": (True, arn_like),
    "ArnNotLike": (True, arn_like),
    "Bool": (False, lambda p, v: p.lower() == v.lower()),
    "NumericEquals": (False, lambda p, v: _number(v) == _number(p)),
    "NumericNotEquals": (True, lambda p, v: _number(v) == _number(p)),
    "NumericLessThan": (False, lambda p, v: _number(v) < _number(p)),
    "NumericLessThanEquals": (False, lambda p, v: _number(v) <= _number(p)),
    "NumericGreaterThan": (False, lambda p, v: _number(v) > _number(p)),
    "NumericGreaterThanEquals": (False, lambda p, v: _number(v) >= _number(p)),
}


def _context_value(context: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(modelled, value) for a condition key; condition key names ignore case."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return True, value
    return False, None


def _condition_holds(operator: str, key: str, policy_values: list, context: Mapping[str, Any]) -> bool:
    modelled, value = _context_value(context, key)
    if not modelled:
        raise UnsupportedPolicy(f"condition on {key}, which this request's mapping does not model ({operator})")
    present = value is not None
    if operator == "Null":  # "true": the key must be absent; "false": present
        return any(_text(p).lower() == ("false" if present else "true") for p in policy_values)
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base not in OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedPolicy(f"condition operator {operator} is not implemented")
    negated, match = OPERATORS[base]
    patterns = [_text(p) for p in policy_values]
    if any("${" in p for p in patterns):
        raise UnsupportedPolicy(f"policy variables are not implemented: {operator} {key} {patterns}")

    def one(v: Any) -> bool:  # the operator on one request value: any policy value matches (negated: none)
        hit = any(match(p, _text(v)) for p in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":  # every request value passes; no values (or no key) passes
        return all(one(v) for v in (_listed(value) if present else []))
    if qualifier == "ForAnyValue":  # some request value passes; no values (or no key) fails
        return any(one(v) for v in (_listed(value) if present else []))
    if not present:
        # Absent key: the values do not match, so a plain operator fails and a negated one holds;
        # IfExists holds either way.
        return if_exists or negated
    if not isinstance(value, (str, bool, int, float)):
        raise UnsupportedPolicy(f"{operator} on the multivalued key {key}: use ForAllValues: or ForAnyValue:")
    return one(value)


def conditions_hold(block: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, Any]) -> bool:
    """Every operator, every key of a Condition block (AND); any value of one key (OR)."""
    return all(_condition_holds(operator, key, _listed(values), context)
               for operator, tests in (block or {}).items() for key, values in tests.items())


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in statement or "NotPrincipal" in statement:
        raise UnsupportedPolicy("a statement with a Principal is a resource policy, not an identity policy")
    if "Action" in statement:
        actions = any(like(a, request.action, fold=True) for a in _listed(statement["Action"]))
    else:
        actions = not any(like(a, request.action, fold=True) for a in _listed(statement["NotAction"]))
    if not actions:
        return False
    if "Resource" in statement:
        resources = any(arn_like(r, request.resource) for r in _listed(statement["Resource"]))
    else:
        resources = not any(arn_like(r, request.resource) for r in _listed(statement["NotResource"]))
    return resources and conditions_hold(statement.get("Condition"), request.context)


def evaluate(documents: Sequence[Mapping[str, Any]], request: Request) -> str:
    """ALLOW, DENY (an explicit Deny matched) or IMPLICIT_DENY (no Allow matched)."""
    allowed = False
    for document in documents:
        for statement in statements(document):
            effect = statement["Effect"]
            if effect not in ("Allow", "Deny"):
                raise UnsupportedPolicy(f"Effect {effect!r}")
            if statement_applies(statement, request):
                if effect == "Deny":
                    return DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def allowing(documents: Sequence[Mapping[str, Any]], request: Request) -> list[Mapping[str, Any]]:
    """The Allow statements that match `request` (empty when an explicit Deny matches)."""
    if evaluate(documents, request) != ALLOW:
        return []
    return [s for d in documents for s in statements(d) if s["Effect"] == "Allow" and statement_applies(s, request)]


# ---------------------------------------------------------------------------------------------
# The program's side: each function's policies and the names its calls use, read off the graph.

LAMBDA = "aws:lambda/function:Function"


def _loaded(policy: Any) -> dict:
    return json.loads(policy) if isinstance(policy, str) else policy


@dataclass
class Function:
    name: str  # logical
    physical: str
    role: str  # role name
    documents: list[dict]
    env: dict[str, str]


@dataclass
class Table:
    hash_key: str
    indexes: dict[str, str]  # index name → its partition key


class Stack:
    """What the mapper and the evaluator need to know of one stack's graph (ops.harness.Graph)."""

    def __init__(self, graph: Any, replaced_ids: Mapping[str, str] | None = None):
        functions = graph.of_type(LAMBDA)
        assert functions, "the graph declares no function"
        self.region, self.account = functions[0].outputs["arn"].split(":")[3:5]
        roles = {r.outputs.get("arn"): r for r in graph.of_type("aws:iam/role:Role")}
        policies = graph.of_type("aws:iam/rolePolicy:RolePolicy")
        self.functions: dict[str, Function] = {}
        for fn in functions:
            role = roles[fn.inputs["role"]]
            handles = {role.inputs.get("name"), role.outputs.get("name"), role.id, role.outputs.get("arn")} - {None, ""}
            documents = [_loaded(p.inputs["policy"]) for p in policies if p.inputs.get("role") in handles]
            documents += [_loaded(p["policy"]) for p in role.inputs.get("inlinePolicies") or [] if p.get("policy")]
            # Managed policies (none today) are not read: they can only add denials here, never allows.
            self.functions[fn.name] = Function(fn.name, fn.inputs["name"], role.outputs.get("name") or role.inputs.get("name"),
                                               documents, dict((fn.inputs.get("environment") or {}).get("variables") or {}))
        self.tables: dict[str, Table] = {}
        for table in graph.of_type("aws:dynamodb/table:Table"):
            indexes = {}
            for index in (table.inputs.get("globalSecondaryIndexes") or []):
                keys = index.get("keySchemas") or [{"attributeName": index.get("hashKey"), "keyType": "HASH"}]
                indexes[index["name"]] = next(k["attributeName"] for k in keys if k["keyType"] == "HASH")
            for index in (table.inputs.get("localSecondaryIndexes") or []):
                indexes[index["name"]] = table.inputs["hashKey"]
            self.tables[table.inputs["name"]] = Table(table.inputs["hashKey"], indexes)
        self.secrets = {s.inputs["name"]: s.outputs["arn"] for s in graph.of_type("aws:secretsmanager/secret:Secret")}
        self.secret_arns = set(self.secrets.values())
        # SecureStrings under a key of their own need kms:Decrypt too, which the mapper does not model.
        self.parameter_keys = {p.inputs["name"]: p.inputs["keyId"] for p in graph.of_type("aws:ssm/parameter:Parameter")
                               if p.inputs.get("keyId") not in (None, "", "alias/aws/ssm")}
        self.mail_identities = {i.inputs["emailIdentity"].lower()
                                for i in graph.of_type("aws:sesv2/emailIdentity:EmailIdentity")}
        # Emulators give some resources their own ids (CloudFront distributions): back to the graph's.
        self.graph_ids = {made: declared for declared, made in (replaced_ids or {}).items()}

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        return f"arn:aws:{service}:{self.region if region is None else region}:{self.account if account is None else account}:{resource}"

    def table(self, name: str) -> Table:
        name = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
        if name not in self.tables:
            raise UnmappedCall(f"DynamoDB table {name} is not declared by the stack")
        return self.tables[name]


# ---------------------------------------------------------------------------------------------
# SDK calls → IAM requests.


def _attribute_text(value: Mapping[str, Any]) -> str:
    (kind, raw), = value.items()
    if kind in ("S", "N"):
        return str(raw)
    raise UnmappedCall(f"a partition key of type {kind} (dynamodb:LeadingKeys of binary keys is not modelled)")


def _table_name(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name.startswith("arn:") else name


def _dynamodb_request(stack: Stack, action: str, table: str, *, key: Mapping[str, Any] | None = None,
                      index: str | None = None, leading: list[str] | None = None) -> Request:
    name = _table_name(table)
    declared = stack.table(name)
    resource = stack.arn("dynamodb", f"table/{name}")
    if index is not None:
        if index not in declared.indexes:
            raise UnmappedCall(f"index {index} is not declared on {name}")
        resource += f"/index/{index}"
    if key is not None:
        if declared.hash_key not in key:
            raise UnmappedCall(f"{action} on {name} without its partition key {declared.hash_key}")
        leading = [_attribute_text(key[declared.hash_key])]
    return Request(f"dynamodb:{action}", resource, {"dynamodb:LeadingKeys": leading})


def _query_partition_values(params: Mapping[str, Any], partition_key: str) -> list[str]:
    """The partition key value a Query's key condition fixes (it must fix exactly one)."""
    if "KeyConditions" in params:
        condition = params["KeyConditions"].get(partition_key) or {}
        return [_attribute_text(v) for v in condition.get("AttributeValueList", [])[:1]]
    expression = params.get("KeyConditionExpression", "")
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    found = []
    for left, right in re.findall(r"([#:]?[\w.]+)\s*=\s*([#:]?[\w.]+)", expression):
        for name, value in ((left, right), (right, left)):
            if value.startswith(":") and names.get(name, name) == partition_key:
                found.append(_attribute_text(values[value]))
    if len(found) != 1:
        raise UnmappedCall(f"cannot read the partition key {partition_key} off the key condition {expression!r}")
    return found


def _dynamodb(stack: Stack, operation: str, params: Mapping[str, Any]) -> list[Request]:
    single = {"GetItem": "Key", "DeleteItem": "Key", "UpdateItem": "Key", "PutItem": "Item"}
    if operation in single:
        return [_dynamodb_request(stack, operation, params["TableName"], key=params[single[operation]])]
    if operation == "Query":
        table = stack.table(_table_name(params["TableName"]))
        index = params.get("IndexName")
        partition_key = table.indexes.get(index, table.hash_key) if index else table.hash_key
        return [_dynamodb_request(stack, "Query", params["TableName"], index=index,
                                  leading=_query_partition_values(params, partition_key))]
    if operation == "Scan":
        return [_dynamodb_request(stack, "Scan", params["TableName"], index=params.get("IndexName"))]
    if operation == "TransactWriteItems":
        # No action of its own: each item needs the action it performs, on its table.
        kinds = {"Put": ("PutItem", "Item"), "Update": ("UpdateItem", "Key"), "Delete": ("DeleteItem", "Key"),
                 "ConditionCheck": ("ConditionCheckItem", "Key")}
        found = []
        for item in params["TransactItems"]:
            (kind, body), = item.items()
            action, part = kinds[kind]
            found.append(_dynamodb_request(stack, action, body["TableName"], key=body[part]))
        return found
    if operation == "TransactGetItems":
        return [_dynamodb_request(stack, "GetItem", i["Get"]["TableName"], key=i["Get"]["Key"]) for i in params["TransactItems"]]
    if operation == "BatchGetItem":
        return [_dynamodb_request(stack, "BatchGetItem", table, key=key)
                for table, asked in params["RequestItems"].items() for key in asked["Keys"]]
    if operation == "BatchWriteItem":
        found = []
        for table, writes in params["RequestItems"].items():
            for write in writes:
                key = write["PutRequest"]["Item"] if "PutRequest" in write else write["DeleteRequest"]["Key"]
                found.append(_dynamodb_request(stack, "BatchWriteItem", table, key=key))
        return found
    if operation in ("DescribeTable", "DescribeTimeToLive"):
        return [_dynamodb_request(stack, operation, params["TableName"])]
    raise UnmappedCall(f"dynamodb {operation}")


def _s3(stack: Stack, operation: str, params: Mapping[str, Any]) -> list[Request]:
    bucket = f"arn:aws:s3:::{params.get('Bucket', '')}"
    obj = f"{bucket}/{params.get('Key', '')}"
    versioned = "Version" if params.get("VersionId") else ""
    if operation in ("GetObject", "HeadObject"):
        return [Request(f"s3:GetObject{versioned}", obj)]
    if operation == "PutObject":
        return [Request("s3:PutObject", obj)]
    if operation == "DeleteObject":
        return [Request(f"s3:DeleteObject{versioned}", obj)]
    if operation in ("ListObjects", "ListObjectsV2"):
        return [Request("s3:ListBucket", bucket, {"s3:prefix": params.get("Prefix")})]
    if operation == "ListObjectVersions":
        return [Request("s3:ListBucketVersions", bucket, {"s3:prefix": params.get("Prefix")})]
    if operation == "CopyObject":
        source = params["CopySource"]
        source = source if isinstance(source, str) else f"{source['Bucket']}/{source['Key']}"
        return [Request("s3:GetObject", f"arn:aws:s3:::{source.split('?')[0].lstrip('/')}"), Request("s3:PutObject", obj)]
    raise UnmappedCall(f"s3 {operation}")


def _address(value: str) -> str:
    found = re.search(r"<([^>]+)>", value)
    return (found.group(1) if found else value).strip().lower()


def _mail_identity(stack: Stack, address: str) -> str:
    """The identity SES sends as: the address itself where it is a declared identity, else its domain."""
    if address in stack.mail_identities:
        return stack.arn("ses", f"identity/{address}")
    return stack.arn("ses", f"identity/{address.rpartition('@')[2]}")


def _ses(stack: Stack, function: Function | None, operation: str, params: Mapping[str, Any]) -> list[Request]:
    if operation not in ("SendEmail", "SendRawEmail"):
        raise UnmappedCall(f"ses {operation}")
    action = "ses:SendRawEmail" if operation == "SendRawEmail" else "ses:SendEmail"
    sender = params.get("FromEmailAddress") or params.get("Source")
    identity = params.get("FromEmailAddressIdentityArn") or params.get("SourceArn")
    resources = [identity or _mail_identity(stack, _address(sender))]
    if params.get("ConfigurationSetName"):
        resources.append(stack.arn("ses", f"configuration-set/{params['ConfigurationSetName']}"))
    if function is not None and any(k.endswith("SANDBOX_REDIRECT") and v for k, v in function.env.items()):
        # In the SES sandbox, SES also authorizes the send against each recipient's identity.
        destination = params.get("Destination") or {}
        for part in ("ToAddresses", "CcAddresses", "BccAddresses"):
            resources += [_mail_identity(stack, _address(a)) for a in destination.get(part, [])]
    return [Request(action, r) for r in dict.fromkeys(resources)]


def _secret(stack: Stack, secret_id: str) -> str:
    if secret_id.startswith("arn:"):
        return secret_id
    if secret_id not in stack.secrets:
        raise UnmappedCall(f"secret {secret_id} is not declared by the stack")
    return stack.secrets[secret_id]


def _parameter(stack: Stack, name: str) -> str:
    return name if name.startswith("arn:") else stack.arn("ssm", "parameter" + ("" if name.startswith("/") else "/") + name)


def _function_arn(stack: Stack, name: str, qualifier: str | None) -> str:
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:  # 123456789012:function:name
        arn = f"arn:aws:lambda:{stack.region}:{name}"
    else:
        arn = stack.arn("lambda", f"function:{name}")
    return f"{arn}:{qualifier}" if qualifier else arn


def _bedrock_model(stack: Stack, model: str) -> list[str]:
    """An inference profile needs the profile and the model it routes to; a model id, the model."""
    if model.startswith("arn:"):
        return [model]
    prefix, _, rest = model.partition(".")
    if prefix in ("global", "us", "eu", "apac", "us-gov", "jp", "au", "ca"):
        found = [stack.arn("bedrock", f"inference-profile/{model}"),
                 stack.arn("bedrock", f"foundation-model/{rest}", account="")]
        if prefix == "global":  # global routing also authorizes against the region-less model ARN
            found.append(f"arn:aws:bedrock:::foundation-model/{rest}")
        # A geographic profile routes to other regions of its geography too: those are not checked here.
        return found
    return [stack.arn("bedrock", f"foundation-model/{model}", account="")]


# Cognito's public operations, called with an app client id: AWS does not evaluate IAM for them.
COGNITO_PUBLIC = frozenset({"InitiateAuth", "RespondToAuthChallenge", "ForgotPassword", "ConfirmForgotPassword",
                            "GlobalSignOut", "RevokeToken", "ChangePassword", "GetUser"})


def requests_for(stack: Stack, service: str, operation: str, params: Mapping[str, Any],
                 function: Function | None = None) -> list[Request]:
    """The requests IAM authorizes for one SDK call (botocore's service name and operation)."""
    if service == "dynamodb":
        return _dynamodb(stack, operation, params)
    if service == "s3":
        return _s3(stack, operation, params)
    if service in ("sesv2", "ses"):
        return _ses(stack, function, operation, params)
    if service == "secretsmanager" and operation in ("GetSecretValue", "DescribeSecret"):
        return [Request(f"secretsmanager:{operation}", _secret(stack, params["SecretId"]))]
    if service == "ssm":
        names = [params.get("Name")] + list(params.get("Names") or [])
        if params.get("WithDecryption") and (set(names) & set(stack.parameter_keys) or operation == "GetParametersByPath"
                                             and any(n.startswith(params["Path"].rstrip("/") + "/") for n in stack.parameter_keys)):
            raise UnmappedCall("a SecureString under a customer KMS key needs kms:Decrypt, which is not modelled")
        if operation == "GetParameter":
            return [Request("ssm:GetParameter", _parameter(stack, params["Name"]))]
        if operation == "GetParameters":
            return [Request("ssm:GetParameters", _parameter(stack, n)) for n in params["Names"]]
        if operation == "GetParametersByPath":  # authorized against the path asked for, not what it returns
            return [Request("ssm:GetParametersByPath", _parameter(stack, params["Path"]))]
    if service == "lambda" and operation in ("Invoke", "InvokeAsync"):
        return [Request("lambda:InvokeFunction", _function_arn(stack, params["FunctionName"], params.get("Qualifier")))]
    if service == "events" and operation == "PutEvents":
        found = []
        for entry in params["Entries"]:
            bus = entry.get("EventBusName") or "default"
            found.append(Request("events:PutEvents", bus if bus.startswith("arn:") else stack.arn("events", f"event-bus/{bus}"),
                                 {"events:source": entry.get("Source"), "events:detail-type": entry.get("DetailType")}))
        return found
    if service == "scheduler" and operation in ("CreateSchedule", "UpdateSchedule", "DeleteSchedule", "GetSchedule"):
        schedule = stack.arn("scheduler", f"schedule/{params.get('GroupName') or 'default'}/{params['Name']}")
        found = [Request(f"scheduler:{operation}", schedule)]
        role = (params.get("Target") or {}).get("RoleArn")
        if role:  # the schedule runs as this role: the caller must be allowed to pass it
            found.append(Request("iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"}))
        return found
    if service == "cloudfront" and operation == "CreateInvalidation":
        distribution = stack.graph_ids.get(params["DistributionId"], params["DistributionId"])
        return [Request("cloudfront:CreateInvalidation", stack.arn("cloudfront", f"distribution/{distribution}", region=""))]
    if service == "bedrock-runtime":
        actions = {"Converse": "bedrock:InvokeModel", "InvokeModel": "bedrock:InvokeModel",
                   "ConverseStream": "bedrock:InvokeModelWithResponseStream",
                   "InvokeModelWithResponseStream": "bedrock:InvokeModelWithResponseStream"}
        if operation in actions:
            model = params.get("modelId") or params.get("ModelId")
            return [Request(actions[operation], arn) for arn in _bedrock_model(stack, model)]
    if service == "sns" and operation == "Publish":
        target = params.get("TopicArn") or params.get("TargetArn")
        return [Request("sns:Publish", target or "*")]  # SMS to a phone number has no resource
    if service == "sns" and operation in ("ListPhoneNumbersOptedOut", "CheckIfPhoneNumberIsOptedOut"):
        return [Request(f"sns:{operation}", "*")]  # no resource-level permissions
    if service == "cognito-idp":
        if operation in COGNITO_PUBLIC:
            return []  # the app client's sign-in calls: IAM does not authorize them
        pool = stack.graph_ids.get(params["UserPoolId"], params["UserPoolId"])
        return [Request(f"cognito-idp:{operation}", stack.arn("cognito-idp", f"userpool/{pool}"))]
    if service == "sts" and operation == "GetCallerIdentity":
        return []  # needs no permission
    raise UnmappedCall(f"{service} {operation}: add its IAM request to ops.iam.requests_for")


# ---------------------------------------------------------------------------------------------
# Enforcement: a botocore hook that checks each call against the running function's policies.

# The function whose code is running (a stack: one function's handler may run another's, as a
# synchronous Lambda invoke does in the tests).
_acting: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("mainstreet_iam_acting", default=())

# Error codes and statuses AWS answers a denied call with, per service (others: AccessDeniedException, 400).
DENIED_SHAPE = {"s3": ("AccessDenied", 403), "cloudfront": ("AccessDenied", 403), "sns": ("AuthorizationError", 403),
                "lambda": ("AccessDeniedException", 403), "sesv2": ("AccessDeniedException", 403),
                "ses": ("AccessDenied", 403), "scheduler": ("AccessDeniedException", 403),
                "bedrock-runtime": ("AccessDeniedException", 403), "events": ("AccessDeniedException", 400)}


@dataclass
class Denial:
    function: str
    service: str
    operation: str
    request: Request
    decision: str

    def __str__(self) -> str:
        return f"{self.function}: {self.service}.{self.operation} needs {self.request} ({self.decision})"


class Replay:
    """Checks every SDK call made while a function runs against that function's role policies.

    A denied call raises an AccessDenied-shaped ClientError, as AWS would, and is kept in
    `denials` so a test fails even when the code swallows the error."""

    HOOK = "mainstreet.iam-replay"

    def __init__(self, stack: Stack):
        self.stack = stack
        self.denials: list[Denial] = []
        self.problems: list[str] = []  # calls that could not be checked (kept: a handler may swallow the error)
        self.checked = 0
        self.log: list[tuple[str, Request, str]] = []  # (function, request, decision) of every checked request

    @contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        if function not in self.stack.functions:
            raise KeyError(f"no function {function} in the stack")
        token = _acting.set((*_acting.get(), function))
        try:
            yield
        finally:
            _acting.reset(token)

    @staticmethod
    def acting() -> str | None:
        stack = _acting.get()
        return stack[-1] if stack else None

    def register(self, session: Any) -> None:
        """Hook `session` (a boto3 Session): clients made from it afterwards are checked."""
        session.events.register("before-parameter-build", self._hook, unique_id=self.HOOK)

    @classmethod
    def unregister(cls, session: Any) -> None:
        session.events.unregister("before-parameter-build", unique_id=cls.HOOK)

    def _hook(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        function = self.acting()
        if function is None:
            return  # the test's own calls (setting up, reading back) run with no function's role
        self.check(function, model.service_model.service_name, model.name, params)

    def check(self, function: str, service: str, operation: str, params: Mapping[str, Any]) -> None:
        fn = self.stack.functions[function]
        try:
            requests = requests_for(self.stack, service, operation, params, fn)
            decisions = [(request, evaluate(fn.documents, request)) for request in requests]
        except (UnmappedCall, UnsupportedPolicy) as exc:
            self.problems.append(f"{function}: {service}.{operation}: {exc}")
            raise
        for request, decision in decisions:
            self.checked += 1
            self.log.append((function, request, decision))
            if decision != ALLOW:
                self.denials.append(Denial(function, service, operation, request, decision))
                raise access_denied(self.stack, fn, service, operation, request, decision)


def access_denied(stack: Stack, fn: Function, service: str, operation: str, request: Request, decision: str) -> Exception:
    from botocore.exceptions import ClientError

    code, status = DENIED_SHAPE.get(service, ("AccessDeniedException", 400))
    why = ("with an explicit deny in an identity-based policy" if decision == DENY
           else f"because no identity-based policy allows the {request.action} action")
    message = (f"User: arn:aws:sts::{stack.account}:assumed-role/{fn.role}/{fn.physical} is not authorized to perform: "
               f"{request.action} on resource: {request.resource} {why}")
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)
