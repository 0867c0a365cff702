"""Lesson 11's pieces: the verifiable reward, masked statistics, PPO's rewards, advantages and losses, GRPO, DPO."""

import math

import pytest
import torch

from minillm import rl
from minillm.errors import UserError


@pytest.mark.parametrize("reply, answer, expected", [
    ("The answer is four.", "4", 1.0),  # the seeds' 2 + 2
    ("It's 22.", "4", 0.0),
    ("Math is hard.", "4", 0.0),
    ("Four.", "4", 1.0),
    ("not 4", "4", 0.0),
    ("14", "4", 0.0),
    ("four hundred", "4", 0.0),
    ("2 + 2 = 4", "4", 1.0),
    ("4, or maybe 5", "4", 0.0),
    ("It is twenty-four.", "24", 1.0),
    ("One hundred and twelve.", "112", 1.0),
    ("There are 7 continents.", "seven", 1.0),
    ("It is -6.", "-6", 1.0),
    ("68 plus 56 is <|calc|>68 + 56<|/calc|>124.", "124", 1.0),  # the tool's result is part of the reply
    ("The capital of France is Paris.", "Paris", 1.0),
    ("PARIS!", "Paris", 1.0),
    ("Parisian food is good.", "Paris", 0.0),
    ("It is not Paris, it is Lyon.", "Paris", 0.0),
    ("The capital is Mexico City.", "Mexico City", 1.0),
    ("The capital is Mexico.", "Mexico City", 0.0),
])
def test_verify_wants_the_answer_stated(reply, answer, expected):
    assert rl.verify(reply, answer) == expected


def test_numbers_in_reads_digits_and_words():
    assert [v for v, _ in rl.numbers_in("twenty four, then 3.5 and four five; two thousand and one, six and seven")] \
        == [24, 3.5, 4, 5, 2001, 6, 7]


# ----------------------------------------------------------------------------- masked statistics


def test_whiten_by_hand_with_and_without_a_mask():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    expected = (x - 2.5) / math.sqrt(5 / 3 + 1e-8)  # unbiased variance: 5 / 3
    torch.testing.assert_close(rl.whiten(x), expected)
    x, mask = torch.tensor([[1.0, 3.0, 100.0, -100.0]]), torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    out = rl.whiten(x, mask)  # mean 2, variance 2 over the two valid values
    torch.testing.assert_close(out[:, :2], torch.tensor([[-1.0, 1.0]]) / math.sqrt(2 + 1e-8))
    torch.testing.assert_close(rl.whiten(x, mask, shift_mean=False)[:, :2], out[:, :2] + 2)
    assert torch.equal(rl.whiten(torch.tensor([[5.0, 9.0]]), torch.tensor([[1.0, 0.0]]))[:, :1], torch.zeros(1, 1))


def test_masked_mean_of_nothing_is_zero():
    assert rl.masked_mean(torch.ones(2, 3), torch.zeros(2, 3)).item() == 0.0


# ----------------------------------------------------------------------------- PPO


def test_kl_shaped_rewards_by_hand():
    logprobs = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
    ref = torch.tensor([[-1.5, -2.0, -2.0], [-2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # the last row: an empty reply
    rewards = rl.kl_shaped_rewards(torch.tensor([2.0, 5.0, 7.0]), logprobs, ref, mask, kl_coef=0.1)
    torch.testing.assert_close(rewards, torch.tensor([[-0.05, 0.0, 2.1], [4.9, 0.0, 0.0], [0.0, 0.0, 0.0]]))


def test_gae_by_hand():
    rewards, values = torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.5, 0.5]])
    advantages, returns = rl.gae(rewards, values, gamma=1.0, lam=0.95)
    # t=2: 1 - 0.5 = 0.5; t=1: 0 + 0.95 x 0.5; t=0: 0 + 0.95 x 0.475
    torch.testing.assert_close(advantages, torch.tensor([[0.45125, 0.475, 0.5]]))
    torch.testing.assert_close(returns, torch.tensor([[0.95125, 0.975, 1.0]]))
    padded, _ = rl.gae(torch.tensor([[0.0, 0.0, 1.0, 0.0]]), torch.tensor([[0.5, 0.5, 0.5, 9.0]]),
                       mask=torch.tensor([[1.0, 1.0, 1.0, 0.0]]))
    torch.testing.assert_close(padded[:, :3], advantages)  # a value on the padding changes nothing


def test_policy_loss_clips_and_counts_the_clipped_tokens():
    logprobs, old = torch.tensor([[0.0, math.log(2)]]), torch.zeros(1, 2)  # ratios 1 and 2
    loss, clipped = rl.policy_loss(logprobs, old, torch.ones(1, 2), torch.ones(1, 2), clip=0.2)
    assert loss.item() == pytest.approx((-1 - 1.2) / 2) and clipped.item() == 0.5
    loss, clipped = rl.policy_loss(logprobs, old, -torch.ones(1, 2), torch.ones(1, 2), clip=0.2)
    assert loss.item() == pytest.approx((1 + 2) / 2) and clipped.item() == 0.0  # a bad token is never clipped back
    loss, clipped = rl.policy_loss(logprobs, old, torch.ones(1, 2), torch.zeros(1, 2))
    assert loss.item() == 0.0 and clipped.item() == 0.0


def test_value_loss_takes_the_larger_error_of_the_clipped_and_free_values():
    values, old, returns = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]]), torch.tensor([[0.0, 1.0]])
    assert rl.value_loss(values, old, returns, torch.ones(1, 2)).item() == pytest.approx(0.5)
    assert rl.value_loss(torch.tensor([[0.6]]), torch.tensor([[0.5]]), torch.tensor([[2.0]]),
                         torch.ones(1, 1)).item() == pytest.approx(0.5 * 1.4 ** 2)


def test_the_reference_target_is_the_kl_from_the_fine_tuned_models_distribution_by_hand():
    ref = torch.tensor([[[0.0, 0.0], [5.0, 0.0]]])  # (B, T, V): p_ref = (1/2, 1/2) at the first token
    policy = torch.tensor([[[math.log(3.0), 0.0], [0.0, 5.0]]])  # pi = (3/4, 1/4) there
    mask = torch.tensor([[1.0, 0.0]])  # the second token is not the assistant's: it does not count
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)  # 0.1438
    assert rl.reference_kl(policy, ref, mask).item() == pytest.approx(expected, rel=1e-6)
    assert rl.reference_kl(ref, ref, torch.ones(1, 2)).item() == pytest.approx(0.0, abs=1e-7)


def test_interpolate_weights_steps_back_along_the_line_by_hand():
    start = {"w": torch.tensor([1.0, 2.0]), "steps": torch.tensor([3])}
    end = {"w": torch.tensor([3.0, 0.0]), "steps": torch.tensor([7])}
    half = rl.interpolate_weights(start, end, 0.5)
    torch.testing.assert_close(half["w"], torch.tensor([2.0, 1.0]))
    assert torch.equal(half["steps"], torch.tensor([7]))  # counts are not weights: they come from the end
    torch.testing.assert_close(rl.interpolate_weights(start, end, 0.8)["w"], torch.tensor([2.6, 0.4]))
    assert torch.equal(rl.interpolate_weights(start, end, 1.0)["w"], end["w"])


# ----------------------------------------------------------------------------- GRPO and DPO


def test_group_advantages_by_hand():
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    # group 1: mean 0.25, unbiased std 0.5; group 2: all equal, nothing to learn
    torch.testing.assert_close(rl.group_advantages(rewards, 4),
                               torch.tensor([1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0]), atol=1e-5, rtol=0)
    torch.testing.assert_close(rl.group_advantages(rewards, 4, scale=False),
                               torch.tensor([0.75, -0.25, -0.25, -0.25, 0.0, 0.0, 0.0, 0.0]))
    for size in (1, 3):
        with pytest.raises(UserError, match="group_size"):
            rl.group_advantages(rewards, size)


def test_dpo_loss_and_implicit_rewards_by_hand():
    loss, chosen, rejected = rl.dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]),
                                         torch.tensor([-2.0]), beta=0.1)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-0.2)))  # -log σ(0.1 x (1 - (-1)))
    assert chosen.item() == pytest.approx(0.1) and rejected.item() == pytest.approx(-0.1)
    same = torch.tensor([-4.0, -1.0])
    assert rl.dpo_loss(same, same, same, same)[0].item() == pytest.approx(math.log(2))  # the policy is the reference
