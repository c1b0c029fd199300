"""Drives Sesame's Amazon SES API with boto3, as Python apps do.

Run by TestBoto3 with SESAME_ENDPOINT, SESAME_SECRET_ID and
SESAME_SECRET_KEY; prints one line per check and exits 1 on the first
failure.
"""
import base64
import os
import sys
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["SESAME_ENDPOINT"]
key, secret = os.environ["SESAME_SECRET_ID"], os.environ["SESAME_SECRET_KEY"]
config = Config(retries={"max_attempts": 1})


def client(name, secret_key=secret):
    return boto3.client(name, endpoint_url=endpoint, region_name="eu-central-1",
                        aws_access_key_id=key, aws_secret_access_key=secret_key, config=config)


def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


v2 = client("sesv2")
v2.create_email_template(TemplateName="py-welcome", TemplateContent={
    "Subject": "Hi {{name}}", "Html": "<p>Hello {{name}}</p>", "Text": "Hello {{name}}"})
check("GetEmailTemplate", v2.get_email_template(TemplateName="py-welcome")["TemplateContent"]["Subject"] == "Hi {{name}}")
v2.update_email_template(TemplateName="py-welcome", TemplateContent={"Subject": "Hi, {{name}}", "Html": "<p>Hello {{name}}</p>"})
names = [t["TemplateName"] for t in v2.list_email_templates()["TemplatesMetadata"]]
check("ListEmailTemplates", "py-welcome" in names)

sent = v2.send_email(FromEmailAddress="news@example.com", Destination={"ToAddresses": ["py1@dest.example.net"]},
                     Content={"Template": {"TemplateName": "py-welcome", "TemplateData": '{"name": "Py"}'}})
check("SendEmail with a template and data", len(sent["MessageId"]) > 10)

msg = MIMEMultipart()
msg["From"], msg["To"], msg["Subject"] = "News <news@example.com>", "py2@dest.example.net", "Report"
msg.attach(MIMEText("See the attachment.", "plain"))
part = MIMEApplication(b"col\n1\n", Name="report.csv")
part["Content-Disposition"] = 'attachment; filename="report.csv"'
msg.attach(part)
raw = v2.send_email(Content={"Raw": {"Data": msg.as_bytes()}})
check("SendEmail raw with an attachment", len(raw["MessageId"]) > 10)

v2.put_suppressed_destination(EmailAddress="py-gone@dest.example.net", Reason="BOUNCE")
check("GetSuppressedDestination",
      v2.get_suppressed_destination(EmailAddress="py-gone@dest.example.net")["SuppressedDestination"]["Reason"] == "BOUNCE")
simple = {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}}
check("a suppressed recipient is MessageRejected", code_of(lambda: v2.send_email(
    FromEmailAddress="news@example.com", Destination={"ToAddresses": ["py-gone@dest.example.net"]}, Content=simple)) == "MessageRejected")
check("ListSuppressedDestinations", any(s["EmailAddress"] == "py-gone@dest.example.net"
                                        for s in v2.list_suppressed_destinations()["SuppressedDestinationSummaries"]))
v2.delete_suppressed_destination(EmailAddress="py-gone@dest.example.net")
check("an unverified identity is MessageRejected", code_of(lambda: v2.send_email(
    FromEmailAddress="ghost@example.org", Destination={"ToAddresses": ["py3@dest.example.net"]}, Content=simple)) == "MessageRejected")
bulk = v2.send_bulk_email(FromEmailAddress="news@example.com",
                          DefaultContent={"Template": {"TemplateName": "py-welcome", "TemplateData": '{"name": "you"}'}},
                          BulkEmailEntries=[{"Destination": {"ToAddresses": ["py4@dest.example.net"]}}])
check("SendBulkEmail", bulk["BulkEmailEntryResults"][0]["Status"] == "SUCCESS")
check("GetAccount", v2.get_account()["SendingEnabled"])
check("ListEmailIdentities", [i["IdentityName"] for i in v2.list_email_identities()["EmailIdentities"]] == ["example.com"])
check("GetEmailIdentity", v2.get_email_identity(EmailIdentity="example.com")["IdentityType"] == "DOMAIN")
v2.delete_email_template(TemplateName="py-welcome")
check("DeleteEmailTemplate", code_of(lambda: v2.get_email_template(TemplateName="py-welcome")) == "NotFoundException")
check("a bad signature is SignatureDoesNotMatch", code_of(lambda: client("sesv2", "x" * 40).get_account()) == "SignatureDoesNotMatch")

v1 = client("ses")
out = v1.send_email(Source="news@example.com", Destination={"ToAddresses": ["py5@dest.example.net"]},
                    Message={"Subject": {"Data": "v1"}, "Body": {"Text": {"Data": "Hello from v1"}}})
check("v1 SendEmail", len(out["MessageId"]) > 10)
out = v1.send_raw_email(RawMessage={"Data": msg.as_bytes()}, Destinations=["py6@dest.example.net"])
check("v1 SendRawEmail", len(out["MessageId"]) > 10)
check("v1 GetSendQuota", v1.get_send_quota()["MaxSendRate"] > 0)
check("v1 ListIdentities", v1.list_identities()["Identities"] == ["example.com"])
check("v1 bad signature", code_of(lambda: client("ses", "x" * 40).get_send_quota()) == "SignatureDoesNotMatch")
print("boto3 " + boto3.__version__ + ": all checks passed")
