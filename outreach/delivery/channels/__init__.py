"""Channels: one small interface in front of every provider, chosen from the configuration."""

from __future__ import annotations

from collections.abc import Mapping

from outreach.delivery.channels.base import Channel
from outreach.delivery.channels.console import ConsoleChannel
from outreach.models import Medium


def channels_from_config(config: Mapping) -> dict[Medium, Channel]:
    """Build the channel for each medium: the provider when its keys are set, else the console in development."""
    from outreach.delivery.channels.cwc import cwc_channel_from_config
    from outreach.delivery.channels.sendgrid_email import sendgrid_channel_from_config
    from outreach.delivery.channels.twilio_sms import twilio_channel_from_config

    channels: dict[Medium, Channel] = {}
    development = config.get("OUTREACH_ENV", "development") == "development"
    for medium, build in ((Medium.EMAIL, sendgrid_channel_from_config), (Medium.SMS, twilio_channel_from_config)):
        channel = build(config)
        if channel is None and development:
            channel = ConsoleChannel()
        if channel is not None:
            channels[medium] = channel
    # Congress offices have no console stand-in: without CWC keys their messages are hand-offs.
    cwc = cwc_channel_from_config(config)
    if cwc is not None:
        channels[Medium.CWC] = cwc
    return channels
