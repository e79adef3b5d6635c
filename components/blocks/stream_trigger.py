"""A function run on a table's stream: each batch of changes, retried on failure, with failed
records reported one by one so the good ones are not sent again."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.function import Function
from components.blocks.table import Table


class StreamTrigger(pulumi.ComponentResource):
    def __init__(self, name: str, table: Table, function: Function, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:compute:StreamTrigger", name, None, opts)
        if not any(link.kind == "stream" and link.resource is table for link in function.links):
            raise ValueError(f"{function.logical_name} must link {table.logical_name}.stream_read to read its stream")
        self.mapping = aws.lambda_.EventSourceMapping(
            name,
            event_source_arn=table.stream_arn,
            function_name=function.name,
            starting_position="LATEST",
            batch_size=10,
            maximum_batching_window_in_seconds=1,
            maximum_retry_attempts=5,
            bisect_batch_on_function_error=True,
            function_response_types=["ReportBatchItemFailures"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
