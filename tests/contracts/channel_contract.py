"""The contract of the channel port (giaitrinh_notify.domain.channels.Channel). The in-memory
channel and each real one (SMS gateway, webhooks, in-app inbox) run it by subclassing, so the
fake the delivery loop's tests use is proven to answer as the real channels do.

A subclass provides, as fixtures: ``channel``; ``reachable`` and ``unreachable`` (a recipient it
can deliver to, and one it must refuse before anything leaves); ``arrived`` (a function giving
the delivery keys the other side has received, in order); and, where the other side can refuse
or fail (not the inbox, which is notify's own database), ``other_side_refuses`` and
``other_side_fails_once`` (functions that make it do so for the next message).
"""
from __future__ import annotations

import pytest

from giaitrinh_notify.domain.channels import CHANNELS, DeliveryFailed, DeliveryRefused, OutgoingMessage


class ChannelContract:
    answers_refusals_and_failures = True

    def message(self, channel, recipient: str, key: str = "dk-contract-1") -> OutgoingMessage:
        return OutgoingMessage(delivery_key=key, channel=channel.name, recipient=recipient,
                               subject="Đã tiếp nhận yêu cầu", body=self.body(channel))

    def body(self, channel) -> str:
        if channel.name == "webhook":
            return '{"type": "vn.giaitrinh.case.accepted.v1", "data": {"tracking_code": "GT-7X9V-FH1S-R"}}'
        return "Yêu cầu GT-7X9V-FH1S-R đã được tiếp nhận."

    def test_the_channel_names_one_of_the_platforms_channels(self, channel):
        assert channel.name in CHANNELS

    def test_a_message_to_a_reachable_recipient_arrives_under_its_delivery_key(self, channel, reachable, arrived):
        channel.send(self.message(channel, reachable))
        assert arrived() == ["dk-contract-1"]

    def test_a_recipient_that_cannot_be_reached_is_refused_before_anything_leaves(self, channel, unreachable,
                                                                                  arrived):
        with pytest.raises(DeliveryRefused):
            channel.send(self.message(channel, unreachable))
        assert arrived() == []

    def test_a_message_sent_again_arrives_again_under_the_same_key_for_the_other_side_to_drop(
            self, channel, reachable, arrived):
        channel.send(self.message(channel, reachable))
        channel.send(self.message(channel, reachable))
        assert set(arrived()) == {"dk-contract-1"}

    def test_a_refusal_by_the_other_side_is_permanent(self, request, channel, reachable, arrived):
        if not self.answers_refusals_and_failures:
            pytest.skip("this channel's other side is notify's own database")
        request.getfixturevalue("other_side_refuses")()
        with pytest.raises(DeliveryRefused):
            channel.send(self.message(channel, reachable))

    def test_a_failure_of_the_other_side_is_temporary_and_the_next_try_arrives(self, request, channel, reachable,
                                                                               arrived):
        if not self.answers_refusals_and_failures:
            pytest.skip("this channel's other side is notify's own database")
        request.getfixturevalue("other_side_fails_once")()
        with pytest.raises(DeliveryFailed):
            channel.send(self.message(channel, reachable))
        channel.send(self.message(channel, reachable))
        assert arrived()[-1] == "dk-contract-1"
