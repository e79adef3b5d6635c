"""Local mode's stand-in for the mail Cognito sends itself (ops/local/cognito_mail.py): a new
account's invitation and a reset code reach the outbox, and a reset code checks as Cognito's does."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ops.local import cognito_mail


@pytest.fixture
def cognito():
    """moto's Cognito through a client carrying the hooks a local worker installs, and what they reported."""
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
        pool = client.create_user_pool(PoolName="staff", UsernameAttributes=["email"])["UserPool"]["Id"]
        app = client.create_user_pool_client(UserPoolId=pool, ClientName="sign-in")["UserPoolClient"]["ClientId"]
        reported: list[dict] = []
        cognito_mail.install(client.meta.events, reported.append)
        yield client, pool, app, reported


def create(client, pool: str, email: str, **extra) -> None:
    client.admin_create_user(UserPoolId=pool, Username=email, TemporaryPassword="temporary-Pass-1234",
                             UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                             **extra)


def test_an_invitation_carries_the_temporary_password_unless_suppressed(cognito):
    client, pool, _, reported = cognito
    create(client, pool, "ana@staff.example")
    create(client, pool, "owner@staff.example", MessageAction="SUPPRESS")
    assert [r["mail"]["to"] for r in reported] == [["ana@staff.example"]]
    mail = reported[0]["mail"]
    assert mail["from"] == "no-reply@verificationemail.com" and mail["subject"] == "Your temporary password"
    assert mail["text"] == "Your username is ana@staff.example and temporary password is temporary-Pass-1234."


def test_a_refused_creation_mails_nothing(cognito):
    client, pool, _, reported = cognito
    create(client, pool, "ana@staff.example")
    with pytest.raises(client.exceptions.UsernameExistsException):
        create(client, pool, "ana@staff.example")
    assert len(reported) == 1


def test_a_reset_code_is_mailed_as_six_digits_and_only_that_code_sets_the_password(cognito):
    client, pool, app, reported = cognito
    create(client, pool, "ana@staff.example", MessageAction="SUPPRESS")
    client.forgot_password(ClientId=app, Username="ana@staff.example")
    mail = reported[-1]["mail"]
    assert mail["to"] == ["ana@staff.example"] and mail["subject"] == "Your verification code"
    code = mail["text"].removeprefix("Your verification code is ").removesuffix(".")
    assert len(code) == 6 and code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    for refused in (wrong, "not-a-code"):  # moto alone would take any code without its prefix
        with pytest.raises(client.exceptions.ExpiredCodeException):
            client.confirm_forgot_password(ClientId=app, Username="ana@staff.example", ConfirmationCode=refused,
                                           Password="a new long password")
    client.confirm_forgot_password(ClientId=app, Username="ana@staff.example", ConfirmationCode=code, Password="a new long password")
    with pytest.raises(client.exceptions.ExpiredCodeException):  # used once, gone
        client.confirm_forgot_password(ClientId=app, Username="ana@staff.example", ConfirmationCode=code, Password="another one")


def test_no_code_is_mailed_for_an_address_without_an_account(cognito):
    client, _, app, reported = cognito
    client.forgot_password(ClientId=app, Username="nobody@staff.example")
    assert reported == []
