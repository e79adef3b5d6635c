"""What IAM decides for the DynamoDB calls the mocks never judge (issue 11, defect 1).

`dynamodb:LeadingKeys` is the partition key of whatever a request addresses: for a Query of an
index, the *index's* partition key (`job_status = "pending_pickup"`), not the table's (`JOB#…`).
An index ARN sharing a statement with its table, under the table's key condition, is therefore
denied on AWS while every mock lets it through. And `dynamodb:ListStreams` has no resource-level
permissions (AWS's Service Authorization Reference lists no resource type for it; aws-cdk#10631):
a statement naming the stream ARN never grants it.

INDEX_QUERIES below says, per function, which index of which table its handler queries and with
which partition key values. Which (function, table, index) triples there are is read off the
handler code itself (every `IndexName` under handlers/, followed to the Lambda handlers that reach
it with their settings' table), so the table cannot silently fall behind the code; the values are
written here, next to the code that uses them.
"""

from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

import pytest

from components.blocks.links import grant
from handlers.dispatch import flow
from ops import iam
from ops.iam import like as _like
from tests.components.graphs import TABLE, _listed, functions, policy_documents

ROOT = Path(__file__).resolve().parents[2]

# function → (table, index) → partition key values of the index its handler queries with.
# Where the handler's values are an open set (dates, addresses, ids), one example stands for them:
# the grant must then admit any value (no LeadingKeys condition), which the example checks.
INDEX_QUERIES: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    # team → directory.signed_in_now: only session rows carry `kind`, and they all carry "session".
    "staff-team": {("staff-sessions", "signed-in"): ("session",)},
    # board.list_jobs → storage.jobs_with_status: one query per column of the flow.
    "dispatch-board": {("jobs", "by-status"): tuple(status for status, _, _ in flow.STATUSES)},
    # redeem.reverse → storage.find_redemption: the redemption id the desk sends.
    # redeem.held → storage.held_sales: only the ones still waiting.
    "loyalty-redeem": {("loyalty-ledger", "by-ref"): ("R0123456789abcdef",), ("loyalty-review", "by-status"): ("open",)},
    # storage.ledger_for_day: yesterday's business date.
    "loyalty-nightly-balance": {("loyalty-ledger", "by-day"): ("2026-01-31",)},
    # storage.lapsing_candidates: only members still "active".
    "loyalty-lapsing-sweep": {("loyalty-members", "by-status"): ("active",)},
    # storage.ledger_for_day / audit_for_day per day of last month, joined_in for the month.
    "loyalty-summary": {
        ("loyalty-ledger", "by-day"): ("2026-01-31",),
        ("loyalty-audit", "by-day"): ("2026-01-31",),
        ("loyalty-members", "by-joined"): ("2026-01",),
        ("loyalty-review", "by-status"): ("open",),  # the daily digest of held sales still waiting
    },
}

STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


# ---------------------------------------------------------------------------------------------
# IAM's decision, by the evaluator the handler tests' replay uses (ops.iam).


def allowing(documents: list[dict], action: str, resource: str, leading_keys: tuple[str, ...] = ()) -> list:
    """The statements that allow `action` on `resource` for a request with these leading keys."""
    return iam.allowing(documents, iam.Request(action, resource, {"dynamodb:LeadingKeys": list(leading_keys)}))


def test_the_evaluator_reads_leading_keys_and_wildcards_as_iam_does():
    jobs = "arn:aws:dynamodb:us-west-2:123456789012:table/jobs"
    keys = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["JOB#*", "TRACK#*"]}}
    shared = [{"Statement": [{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": [jobs, f"{jobs}/index/*"],
                              "Condition": keys}]}]
    assert allowing(shared, "dynamodb:Query", jobs, ("JOB#1",))
    assert not allowing(shared, "dynamodb:Query", f"{jobs}/index/by-status", ("pending_pickup",))  # the board's bug
    assert allowing(shared, "dynamodb:query", f"{jobs}/index/by-status", ("TRACK#x",))  # actions ignore case
    assert not allowing(shared, "dynamodb:Query", f"{jobs}/stream/1", ("JOB#1",))
    assert allowing([{"Statement": {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}}], "dynamodb:ListStreams", "*")
    stream = [{"Statement": [{"Effect": "Allow", "Action": "dynamodb:ListStreams", "Resource": f"{jobs}/stream/*"}]}]
    assert not allowing(stream, "dynamodb:ListStreams", "*")
    assert _like("20??-*", "2026-01") and not _like("20??-*", "1999-01") and not _like("a", "A")


# ---------------------------------------------------------------------------------------------
# Which function queries which index of which table, read off handlers/.


class Analysis:
    """Every `IndexName` under handlers/, followed through the functions that pass its table on,
    to the handler modules that call them with a table setting (`settings.jobs_table`)."""

    def __init__(self, root: Path):
        self.trees: dict[str, ast.Module] = {}
        for path in sorted((root / "handlers").rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            self.trees[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = ast.parse(path.read_text(), str(path))
        self.defs: dict[str, ast.FunctionDef] = {
            f"{module}.{node.name}": node for module, tree in self.trees.items() for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.problems: list[str] = []
        # qualified function → {(index, position of its table parameter, the query site it reaches)}
        self.queries: dict[str, set[tuple[str, int, str]]] = {}
        # (module, settings attribute, index, query site): a module-level table setting reaching a query
        self.entries: set[tuple[str, str, str, str]] = set()
        self._find_sites()
        self._follow()

    def _imports(self, module: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for node in ast.walk(self.trees[module]):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = module.split(".")[: -node.level]
                    base = ".".join([*package, *([base] if base else [])])
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        return names

    def _constant(self, module: str, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            for statement in self.trees[module].body:
                if (isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
                        and isinstance(statement.value, ast.Constant)):
                    return statement.value.value
        return None

    @staticmethod
    def _params(function: ast.FunctionDef) -> list[str]:
        return [a.arg for a in (*function.args.posonlyargs, *function.args.args)]

    def _find_sites(self) -> None:
        for qualified, function in self.defs.items():
            module = qualified.rsplit(".", 1)[0]
            named: dict[str, ast.expr] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    named.update({k.arg: k.value for k in node.keywords if k.arg in ("IndexName", "TableName")})
                if isinstance(node, ast.Dict):
                    named.update({k.value: v for k, v in zip(node.keys, node.values)
                                  if isinstance(k, ast.Constant) and k.value in ("IndexName", "TableName")})
            if "IndexName" not in named:
                continue
            index = self._constant(module, named["IndexName"])
            table = named.get("TableName")
            params = self._params(function)
            if index is None or not (isinstance(table, ast.Name) and table.id in params):
                self.problems.append(f"{qualified}: cannot tell which index of which table it queries")
                continue
            self.queries[qualified] = {(index, params.index(table.id), qualified)}

    def _calls(self, module: str, function: ast.AST):
        imports = self._imports(module)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                yield f"{imports.get(node.func.value.id, node.func.value.id)}.{node.func.attr}", node
            elif isinstance(node.func, ast.Name):
                yield imports.get(node.func.id, f"{module}.{node.func.id}"), node

    def _follow(self) -> None:
        changed = True
        while changed:
            changed = False
            for qualified, function in self.defs.items():
                module = qualified.rsplit(".", 1)[0]
                params = self._params(function)
                for callee, call in self._calls(module, function):
                    for index, position, site in sorted(self.queries.get(callee, ())):
                        callee_params = self._params(self.defs[callee])
                        keyword = next((k.value for k in call.keywords if k.arg == callee_params[position]), None)
                        argument = call.args[position] if position < len(call.args) else keyword
                        if isinstance(argument, ast.Name) and argument.id in params:
                            found = (index, params.index(argument.id), site)
                            if found not in self.queries.setdefault(qualified, set()):
                                self.queries[qualified].add(found)
                                changed = True
                        elif (isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name)
                              and argument.value.id == "settings"):
                            self.entries.add((module, argument.attr, index, site))
                        else:
                            self.problems.append(f"{qualified} calls {callee} with a table this test cannot follow")

    def table_setting(self, module: str, attribute: str) -> str | None:
        """`jobs_table = table("jobs")` in the module's settings class, or in a shared settings
        shape it builds on (handlers/shared/settings.py) → "jobs"."""
        for node in (*ast.walk(self.trees[module]), *ast.walk(self.trees["handlers.shared.settings"])):
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attribute for t in node.targets)
                    and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                    and node.value.func.id == "table" and node.value.args):
                return node.value.args[0].value if isinstance(node.value.args[0], ast.Constant) else self._constant(module, node.value.args[0])
        return None


@lru_cache(maxsize=1)
def analysis() -> Analysis:
    return Analysis(ROOT)


def queried_indexes(graph) -> dict[str, set[tuple[str, str]]]:
    """Function logical name → the (table, index) pairs its handler code queries."""
    found = analysis()
    modules = {fn.inputs["handler"].rsplit(".", 1)[0]: fn.name for fn in functions(graph)}
    problems = list(found.problems)
    reached = set()
    queried: dict[str, set[tuple[str, str]]] = {}
    for module, attribute, index, site in sorted(found.entries):
        if module not in modules:
            problems.append(f"{module} queries {index} through settings.{attribute} but is no function's handler module")
            continue
        table = found.table_setting(module, attribute)
        if table is None:
            problems.append(f"{module}: settings.{attribute} is not a table setting this test can read")
            continue
        queried.setdefault(modules[module], set()).add((table, index))
        reached.add(site)
    sites = {q for q, reaching in found.queries.items() if any(site == q for _, _, site in reaching)}
    problems += [f"{site} queries an index no function's handler reaches (as far as this test follows calls)"
                 for site in sorted(sites - reached)]
    assert not problems, "\n".join(problems)
    return queried


def test_the_index_table_is_what_the_handlers_query(graph):
    """INDEX_QUERIES lists exactly the (table, index) pairs each function's handler code queries,
    and each is an index the program declares on that table."""
    derived = queried_indexes(graph)
    assert derived, "no index query found under handlers/: the analysis is broken"
    in_stack = {fn.name for fn in functions(graph)}
    listed = {fn: set(queries) for fn, queries in INDEX_QUERIES.items() if fn in in_stack}
    assert derived == listed
    for queries in listed.values():
        for table, index in queries:
            declared = [i["name"] for i in graph.named(TABLE, table).inputs.get("globalSecondaryIndexes", [])]
            assert index in declared, (table, index, declared)


def _index_arn(graph, table: str, index: str) -> str:
    return f"{graph.named(TABLE, table).outputs['arn']}/index/{index}"


def test_each_index_a_handler_queries_is_allowed_for_the_partition_key_values_it_uses(graph):
    documents = policy_documents(graph)
    denied = []
    for function, queries in INDEX_QUERIES.items():
        if function not in documents:
            continue
        for (table, index), values in queries.items():
            for value in values:
                if not allowing(documents[function], "dynamodb:Query", _index_arn(graph, table, index), (value,)):
                    denied.append(f"{function}: Query {table}/index/{index} with {index}'s partition key = {value!r}")
    assert not denied, "IAM would deny (LeadingKeys on an index is the index's partition key):\n" + "\n".join(denied)


def test_no_function_holds_an_index_it_does_not_query_nor_item_actions_on_one(graph):
    """Only the indexes a handler queries are granted, and only Query: item actions (GetItem,
    PutItem, …) address the table, never an index, so on an index ARN they only widen the policy."""
    tables = {t.outputs["arn"]: t.name for t in graph.of_type(TABLE)}
    extra = []
    for function, documents in policy_documents(graph).items():
        wanted = set(INDEX_QUERIES.get(function, {}))
        for document in documents:
            for statement in document["Statement"]:
                for resource in _listed(statement["Resource"]):
                    arn, _, index = resource.partition("/index/")
                    if not index:
                        continue
                    table = tables.get(arn, arn)
                    if (table, index) not in wanted:
                        extra.append(f"{function}: {sorted(_listed(statement['Action']))} on {table}/index/{index}")
                    elif set(_listed(statement["Action"])) != {"dynamodb:Query"}:
                        extra.append(f"{function}: {sorted(_listed(statement['Action']))} on {table}/index/{index}, not only Query")
    assert not extra, "index grants no handler needs:\n" + "\n".join(sorted(set(extra)))


# ---------------------------------------------------------------------------------------------
# Streams.


def test_list_streams_is_only_ever_granted_on_every_resource(graph):
    """ListStreams has no resource-level permissions: on any ARN it is never granted."""
    wrong = []
    for function, documents in policy_documents(graph).items():
        for document in documents:
            for statement in document["Statement"]:
                if any(_like(a, "dynamodb:ListStreams", fold=True) for a in _listed(statement["Action"])):
                    if _listed(statement["Resource"]) != ["*"] or "Condition" in statement:
                        wrong.append(f"{function}: {json.dumps(statement, sort_keys=True)}")
    assert not wrong, "dynamodb:ListStreams on something other than \"*\":\n" + "\n".join(wrong)


def test_each_stream_trigger_may_read_its_stream(graph):
    """What Lambda's poller needs with the function's role, checked the way IAM would."""
    by_physical = {fn.inputs["name"]: fn.name for fn in functions(graph)}
    documents = policy_documents(graph)
    mappings = [m for m in graph.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
                if ":dynamodb:" in m.inputs["eventSourceArn"]]
    assert mappings, "no DynamoDB stream trigger in the graph"
    missing = []
    for mapping in mappings:
        function = by_physical[mapping.inputs["functionName"]]
        stream = mapping.inputs["eventSourceArn"]
        missing += [f"{function}: {action} on {stream}" for action in STREAM_READ
                    if not allowing(documents[function], action, stream)]
        if not allowing(documents[function], "dynamodb:ListStreams", "*"):
            missing.append(f"{function}: dynamodb:ListStreams on *")
    assert not missing, "a stream trigger's role lacks:\n" + "\n".join(missing)


def test_a_grant_of_list_streams_on_anything_but_every_resource_is_refused():
    """The program cannot write the defect again: links.grant refuses it."""
    stream = "arn:aws:dynamodb:us-west-2:123456789012:table/jobs/stream/*"
    with pytest.raises(ValueError, match="ListStreams"):
        grant("stream", "jobs", ["read", "list"], [stream])
    with pytest.raises(ValueError, match="ListStreams"):
        grant("stream", "jobs", ["list"], ["*"], condition={"StringEquals": {"aws:RequestedRegion": "us-west-2"}})
    assert grant("stream", "jobs", ["list"], ["*"]).statements[0].resources == ("*",)
    assert "dynamodb:ListStreams" not in grant("stream", "jobs", ["read"], [stream]).statements[0].actions


@pytest.mark.parametrize("function", sorted(INDEX_QUERIES))
def test_every_listed_function_exists_in_some_stack(function, dev_graph, prod_graph):
    assert function in {fn.name for fn in functions(dev_graph) + functions(prod_graph)}
