"""The structured JSON logger every handler uses (Powertools; the service name comes from
POWERTOOLS_SERVICE_NAME). Its own module, so handlers that serve no HTTP skip the resolver."""

from aws_lambda_powertools import Logger

logger = Logger()
