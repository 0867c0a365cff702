"""Training the assistant with reinforcement learning: PPO and GRPO (lesson 11).

Each iteration the policy (the fine-tuned assistant) writes replies to a batch of prompts, on the KV cache of
lesson 08 (`minillm.rl.roll_out`); each reply gets a score, verifiable (`minillm.rl.verify` against data/rl's
answers) or learned (lesson 10's reward model); then a few epochs of mini-batch steps move the policy towards the
replies that beat expectations, with PPO's clipped objective (the pieces are in minillm.rl).

- PPO (InstructGPT, Hugging Face TRL): per-token rewards -kl_coef x (log pi - log pi_ref) plus the score on the last
  reply token; a value model estimates what each reply prefix will earn, and GAE turns rewards and values into
  advantages. The value model is its own network, its body initialised from the reward model's as InstructGPT
  does (it already reads chat replies and judges them; a separate network keeps its gradients out of the
  policy's), its head from zero (see `value_model`).
- GRPO (DeepSeekMath): several replies per prompt; a reply's advantage is its score against its group's, on every
  one of its tokens; no value model. The KL to the reference is a loss term (the k3 estimate), not a reward.
- What the policy practises on, and what holds the rest. The presets practise on data/rl's sums alone
  (`practice_kinds`) and add lesson 09's loss on data/sft's conversations to every step (`sft_coef`: InstructGPT's
  PPO-ptx, which mixes pretraining data into PPO for the same reason). A 0/1 checker pays a lucky guess as well as
  knowledge: on facts the tiny model does not know, practice taught it the training questions' base rates (most
  of their animals are mammals, so more held-out animals became mammals). Practising on the sums alone, the policy
  drifted on the facts it no longer saw; the fine-tuning term holds them. But imitation keeps pulling towards the
  data's answers, and where the model guesses it moves the guess to the data's commonest answer; PPO's presets also
  hold the policy to the fine-tuned model's whole distribution on the same conversations (`distill_coef`: a KL,
  zero while the policy says what the fine-tuned model would), which kept the held-out animal diets on every seed,
  on 16 conversations a step; and the policy they save is the fine-tuned model plus 0.8 x what PPO changed
  (`interpolation`, `rl.interpolate_weights`): that step back keeps most of the gain and loses fewer of the facts
  that practice moved by chance (benchmarks/RESULTS.md, lesson 11).

The policy, the value model and one AdamW over both live in one module (`PolicyAndValue`): one optimizer step,
one DistributedDataParallel wrapper and one checkpoint for the pair. Under torchrun each process writes and learns
from its share of the replies; gradients are averaged as in every other stage.
"""

import contextlib
import copy
import dataclasses
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from minillm.chat import IM_END, read_conversations
from minillm.checkpoint import load_model
from minillm.config import setting
from minillm.devices import Process, StopSignal, autocast_for, end_distributed, init_distributed
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_path, atomic_write_text, check_output_folder, claim_folder
from minillm.model import GPT
from minillm.nn import eval_mode
from minillm.reward import RewardModel, load_reward_model, read_preferences, score_replies
from minillm.rl import (
    Rollouts,
    entropy,
    gae,
    group_advantages,
    interpolate_weights,
    kl_shaped_rewards,
    kl_to_reference,
    masked_mean,
    policy_loss,
    question_conversation,
    reference_kl,
    roll_out,
    token_logprobs,
    value_loss,
    verify,
    whiten,
)
from minillm.runlog import MetricsLog
from minillm.sample import GenerationConfig
from minillm.sft import batch_indices, masked_cross_entropy, pad_batch, render_rows, resume_and_wrap
from minillm.sft_eval import read_questions, tool_system
from minillm.tokenizer import Tokenizer
from minillm.train import (
    OptimizerConfig,
    TrainingRun,
    accumulation_steps,
    check_numbers,
    check_optimizer,
    checkpoint_run,
    make_optimizer,
    optimizer_step,
    replicas_identical,
)

ALGOS = ("ppo", "grpo")
REWARDS = ("verifiable", "model")


@dataclass
class RLConfig(OptimizerConfig):
    """Settings of a PPO or GRPO run (`minillm rl`); every field is also a command-line flag."""
    algo: str = setting("ppo", "ppo (a value model and GAE) or grpo (groups of replies per prompt, no value model)")
    reward: str = setting("verifiable", "verifiable: data/rl's questions, scored by the checker; model: open-ended "
                                        "requests, scored by the reward model")
    practice_kinds: str = setting("", "verifiable reward: practise only on these kinds of question, comma-separated "
                                      "(e.g. arithmetic; empty: every kind)")
    iterations: int = setting(30, "rollout-and-update iterations")
    rollouts: int = setting(64, "replies written per iteration over all processes")
    group_size: int = setting(1, "replies per prompt (GRPO's group; at least 2 for GRPO)")
    ppo_epochs: int = setting(2, "passes over each iteration's replies")
    minibatches: int = setting(2, "optimizer steps per pass")
    batch_size: int = setting(32, "replies per micro-batch on each process")
    max_new_tokens: int = setting(32, "longest reply, tool outputs included (a batch writes until its longest reply "
                                      "ends: the limit bounds every iteration's cost)")
    temperature: float = setting(0.7, "sampling temperature of the rollouts: the policy is softmax(logits / "
                                      "temperature), and its log-probabilities are taken at the same temperature")
    kl_coef: float = setting(0.05, "weight of the KL to the reference (0: no leash)")
    clip: float = setting(0.2, "PPO's clip range of the probability ratio")
    vf_coef: float = setting(0.1, "weight of the value loss (PPO)")
    value_clip: float = setting(0.2, "clip range of the value model's update (PPO)")
    value_warmup: int = setting(1, "PPO: iterations that train only the value model first (its head starts at "
                                   "zero: it learns what replies score before the policy follows its advantages)")
    gamma: float = setting(1.0, "discount (PPO's GAE)")
    lam: float = setting(0.95, "GAE's lambda (PPO)")
    scale_rewards: bool = setting(True, "GRPO: divide by the group's standard deviation (False: only subtract its "
                                        "mean)")
    unfinished_penalty: float = setting(1.0, "subtracted from the score of a reply that does not end its turn")
    sft_coef: float = setting(0.0, "weight of lesson 09's loss on data/sft's conversations, added to every step "
                                   "(InstructGPT's PPO-ptx): it holds on to what the practice does not reward (0: off)")
    sft_rows: int = setting(8, "data/sft conversations per optimizer step (on each process) for that loss")
    distill_coef: float = setting(0.0, "weight of the KL from the fine-tuned model's whole distribution to the "
                                       "policy's, at the assistant tokens of the same data/sft conversations: it "
                                       "holds the policy to what the fine-tuned model would say, guesses included "
                                       "(0: off)")
    interpolation: float = setting(1.0, "the saved policy is the fine-tuned model + this x (the trained policy - the "
                                        "fine-tuned model): below 1 it keeps most of the gain and less of the drift "
                                        "(rl.interpolate_weights; 1: the trained policy)")
    checkpoint_interval: int = setting(10, "save a resumable checkpoint every this many iterations")
    device: str = setting("auto", "auto, cpu, cuda or mps")
    seed: int = setting(1337, "seeds the prompts' order and the sampling")

    @property
    def max_steps(self) -> int:
        """Optimizer steps of the whole run: the learning-rate schedule's length."""
        return self.iterations * self.ppo_epochs * self.minibatches

    @property
    def global_batch_size(self) -> int:
        """Replies per optimizer step over all processes: a mini-batch."""
        return self.rollouts // self.minibatches


def ppo_warmup(cfg: RLConfig) -> int:
    """Learning-rate warm-up steps over the value model's iterations alone and the policy's first three. Adam's first
    steps move every weight by about the learning rate, whatever its gradient; a policy that started learning at the
    full rate (its warm-up spent on the value model's steps) jumped 3-8 nats from the reference in one iteration
    and took about ten to recover (benchmarks/RESULTS.md)."""
    return (cfg.value_warmup + 3) * cfg.ppo_epochs * cfg.minibatches


# Every preset practises on the sums, with lesson 09's loss holding the rest; PPO's also with the KL to the fine-tuned
# model on the same conversations, 16 of them a step, and saves the policy a fifth of the way back to the fine-tuned
# model (see the module docstring)
PRACTICE = {"practice_kinds": "arithmetic", "sft_coef": 0.2, "distill_coef": 1.0, "sft_rows": 16, "interpolation": 0.8}
PRESETS = {name: dataclasses.replace(cfg, warmup_steps=ppo_warmup(cfg)) for name, cfg in {
    # PPO on 24 x 64 replies to data/rl's sums in about a minute on 2 CPU cores
    "tiny": RLConfig(learning_rate=3e-4, weight_decay=0.0, iterations=24, **PRACTICE),
    "small": RLConfig(learning_rate=1e-4, weight_decay=0.0, **PRACTICE),
    "gpt2": RLConfig(learning_rate=1e-6, weight_decay=0.0, iterations=200, rollouts=128, batch_size=8,
                     max_new_tokens=96, **PRACTICE),
}.items()}
# GRPO's: groups of 4 replies to 32 prompts per iteration, twice PPO's replies (most groups are all right or all
# wrong, and teach nothing: with 16 prompts GRPO gained about a third as much in tiny); one pass over them (no value model
# to fit, so a short warm-up), a firmer leash, replies a quarter shorter, and lesson 09's loss alone (with the KL to
# the fine-tuned model too, it gained 4 points less over three seeds and lost as many small kinds; benchmarks/RESULTS.md)
GRPO_PRESETS = {name: dataclasses.replace(cfg, algo="grpo", group_size=4, rollouts=cfg.rollouts * 2, ppo_epochs=1,
                                          kl_coef=0.1, max_new_tokens=cfg.max_new_tokens * 3 // 4, distill_coef=0.0,
                                          sft_rows=8, interpolation=1.0,
                                          learning_rate=cfg.learning_rate * 2 / 3,
                                          warmup_steps=10 if name == "gpt2" else 5,
                                          iterations=30 if name == "tiny" else cfg.iterations)
                for name, cfg in PRESETS.items()}

OWNER = "rl"  # the owner file's word in an output folder of this stage


# ----------------------------------------------------------------------------- the models


class PolicyAndValue(torch.nn.Module):
    """The policy (a GPT) and, for PPO, the value model (a reward model's body and head, read at every token)."""

    def __init__(self, policy: GPT, value: RewardModel | None = None):
        super().__init__()
        self.policy, self.value = policy, value
        self.config = policy.config

    def forward(self, ids: torch.Tensor, with_values: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """ids (B, T) -> next-token logits (B, T, V) and values (B, T) (None without a value model, or when not
        asked for)."""
        logits, _ = self.policy(ids)
        if self.value is None or not with_values:
            return logits, None
        return logits, self.value.head(self.value.body.hidden_states(ids)).squeeze(-1).float()

    def param_groups(self, weight_decay: float) -> list[dict]:
        groups = self.policy.param_groups(weight_decay)
        if self.value is not None:
            for group, more in zip(groups, self.value.param_groups(weight_decay)):
                group["params"] = group["params"] + more["params"]
        return groups

    def save_safetensors(self, path: Path) -> None:
        """Both networks in one file (a checkpoint's; the run's policy is saved on its own at the end)."""
        from safetensors.torch import save_file

        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        with atomic_path(path) as tmp:
            save_file(tensors, tmp, metadata={"minillm_config": json.dumps(self.config.to_dict())})


def value_model(reward: Path) -> RewardModel:
    """PPO's value model: the reward model's body under a head that starts at zero. The reward model's own head
    scores finished replies on its own scale (about 2.7); read at every prefix of replies that the checker scores
    0 or 1, it predicted returns so far off that its explained variance stayed between -10 and -7 through the
    value warm-up, and the policy's first updates followed its noise. From zero ("every prefix earns nothing") it
    starts near 0 and the body's features fit the returns within a few iterations: 0.2-0.8 from about the eighth
    (benchmarks/RESULTS.md)."""
    model = load_reward_model(reward)[0]
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    return model


# ----------------------------------------------------------------------------- prompts and scores


def verifiable_prompts(path: Path, data: Path = DATA_DIR) -> list[dict]:
    """data/rl's questions as {"conversation", "answer", "kind"}: sums under the calculator's system message."""
    system = tool_system(read_conversations(data / "sft" / "train.jsonl"))
    return [{"conversation": question_conversation(q, system), "answer": q["answer"], "kind": q["kind"]}
            for q in read_questions(path)]


OPEN_ENDED = ("unhelpful", "off_topic", "rude", "too_short")  # preference reasons whose prompts have no one answer


def open_ended_prompts(path: Path) -> list[dict]:
    """The distinct open-ended requests of a preference file (stories, advice, small talk), as conversations."""
    prompts = sorted({p["prompt"] for p in read_preferences(path) if p["reason"] in OPEN_ENDED})
    return [{"conversation": [{"role": "user", "content": p}], "answer": None, "kind": "open"} for p in prompts]


def scores_of(rollouts: Rollouts, prompts: list[dict], reward_model: RewardModel | None,
              tok: Tokenizer) -> torch.Tensor:
    """Each reply's score (B,): the checker's 0/1 or the reward model's score."""
    texts = [r.text for r in rollouts.replies]
    if reward_model is None:
        return torch.tensor([verify(text, p["answer"]) for text, p in zip(texts, prompts)])
    questions = [p["conversation"][-1]["content"] for p in prompts]
    return torch.tensor(score_replies(reward_model, tok, questions, texts))


# ----------------------------------------------------------------------------- a run


@dataclass(kw_only=True)
class Run(TrainingRun):
    """A PPO or GRPO run (made by `start_run`)."""
    tok: Tokenizer
    reference: GPT
    reward_model: RewardModel | None
    prompts: list[dict]
    sft_rows: list[tuple[list[int], list[int]]]  # data/sft's conversations as (ids, mask): the sft_coef loss's
    iteration: int = 0


def train_policy(cfg: RLConfig, sft: Path, reward: Path | None, out: Path, prompts: list[dict],
                 resume: bool = False, progress: bool = True, observe: Callable | None = None) -> dict:
    """Train the fine-tuned model in `sft` with PPO or GRPO on `prompts` (verifiable ones, or open-ended ones scored
    by the reward model in `reward`), writing the run into `out`, alone or under torchrun. PPO's value model starts
    from the reward model in `reward`. `resume` continues from out/checkpoint exactly. `observe(experience,
    prompts)`, if given, returns more figures to log with each iteration (e.g. a second judge's scores of its
    replies). Returns the run's figures."""
    check_config(cfg)
    check_output_folder(out, OWNER)
    process, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(sft), reward, Path(out), prompts, resume, process, device)
        summary = loop(run, progress, observe)
        if process.distributed:
            dist.barrier()
        return summary
    finally:
        run = None  # before the group: see end_distributed
        end_distributed(process)


def check_config(cfg: RLConfig, world_size: int = 1) -> None:
    if cfg.algo not in ALGOS:
        raise UserError(f"algo must be one of {', '.join(ALGOS)}, got {cfg.algo!r}")
    if cfg.reward not in REWARDS:
        raise UserError(f"reward must be one of {', '.join(REWARDS)}, got {cfg.reward!r}")
    for name in ("iterations", "rollouts", "group_size", "ppo_epochs", "minibatches", "batch_size",
                 "max_new_tokens", "checkpoint_interval", "sft_rows"):
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    check_optimizer(cfg)
    check_numbers(cfg, ("temperature", "kl_coef", "clip", "vf_coef", "value_clip", "value_warmup", "gamma", "lam",
                        "unfinished_penalty", "sft_coef", "distill_coef"))
    if not 0 < cfg.interpolation <= 1:
        raise UserError(f"interpolation must be above 0 and at most 1, got {cfg.interpolation}")
    if cfg.temperature == 0:
        raise UserError("temperature must be above 0: the policy learns from what it samples")
    if cfg.algo == "grpo" and cfg.group_size < 2:
        raise UserError("GRPO compares replies to one prompt: group_size must be at least 2")
    per_minibatch = cfg.minibatches * cfg.batch_size * world_size
    if cfg.rollouts % (cfg.group_size * world_size) or cfg.rollouts % per_minibatch:
        raise UserError(f"rollouts ({cfg.rollouts}) must be a multiple of group_size x processes "
                        f"({cfg.group_size} x {world_size}) and of minibatches x batch_size x processes "
                        f"({cfg.minibatches} x {cfg.batch_size} x {world_size})")


def practice_prompts(prompts: list[dict], kinds: str) -> list[dict]:
    """The prompts of the kinds named in `kinds` (comma-separated; empty: all of them)."""
    wanted = {k.strip() for k in kinds.split(",") if k.strip()}
    chosen = [p for p in prompts if not wanted or p["kind"] in wanted]
    if not chosen:
        have = ", ".join(sorted({p["kind"] for p in prompts})) or "none"
        raise UserError(f"no prompts to practise on (practice_kinds {kinds!r}; the prompts' kinds: {have})")
    return chosen


def start_run(cfg: RLConfig, sft: Path, reward: Path | None, out: Path, prompts: list[dict], resume: bool,
              process: Process, device: torch.device) -> Run:
    check_config(cfg, process.world_size)
    prompts = practice_prompts(prompts, cfg.practice_kinds) if cfg.reward == "verifiable" else prompts
    if not prompts:
        raise UserError("no prompts to practise on")
    policy, tok = load_model(sft)
    reference, _ = load_model(sft)
    if IM_END not in tok.special_tokens:
        raise UserError(f"the tokenizer in {sft} has no {IM_END} token: RL starts from a fine-tuned assistant")
    needs_reward_model = cfg.algo == "ppo" or cfg.reward == "model"
    if needs_reward_model and reward is None:
        raise UserError("PPO's value model and the model reward need a reward model folder (--reward-model)")
    value = value_model(reward) if cfg.algo == "ppo" else None
    reward_model = load_reward_model(reward)[0].to(device) if cfg.reward == "model" else None
    model = PolicyAndValue(policy, value).to(device).eval()  # eval: no dropout, so ratios start at exactly 1
    reference.to(device).requires_grad_(False)
    if process.is_main:
        claim_folder(out, OWNER)
    optimizer = make_optimizer(model, cfg, device)
    info = {"model": model.config.to_dict(), "rl": dataclasses.asdict(cfg), "sft": str(sft),
            "reward_model": str(reward) if reward else None, "prompts": len(prompts),
            "world_size": process.world_size}
    # the policy sits out PPO's value warmup: under DDP its parameters then get no gradient
    saved, train_model = resume_and_wrap(model, optimizer, out, resume, process, device, tok,
                                         find_unused_parameters=cfg.algo == "ppo" and cfg.value_warmup > 0)
    steps_per_iteration = cfg.ppo_epochs * cfg.minibatches
    sft_rows = render_rows(tok, read_conversations(DATA_DIR / "sft" / "train.jsonl"), model.config.block_size)[0] \
        if cfg.sft_coef or cfg.distill_coef else []
    return Run(cfg=cfg, out=out, process=process, device=device, model=model, train_model=train_model,
               optimizer=optimizer, accum=accumulation_steps(cfg, process.world_size),
               info=info, log=MetricsLog(out / "metrics.jsonl", process.is_main, saved["step"], None),
               step=saved["step"], train_loss=saved["train_loss"], tok=tok, reference=reference,
               reward_model=reward_model, prompts=prompts, sft_rows=sft_rows,
               iteration=saved["step"] // steps_per_iteration)


# ----------------------------------------------------------------------------- one iteration


@dataclass
class Experience:
    """One process's share of an iteration's replies, with everything the update steps read."""
    rollouts: Rollouts
    scores: torch.Tensor  # (B,) the score each reply earned (penalty included)
    logprobs: torch.Tensor  # (B, T - 1) of the policy that wrote them
    ref_logprobs: torch.Tensor  # (B, T - 1)
    values: torch.Tensor | None  # (B, T - 1) PPO's value estimates
    advantages: torch.Tensor  # (B, T - 1)
    returns: torch.Tensor | None  # (B, T - 1) PPO's value targets


def iteration_prompts(run: Run) -> list[dict]:
    """This process's prompts of the iteration, each `group_size` times in a row (a fixed function of the seed
    and the iteration, so that a resumed run sees the same)."""
    cfg, process = run.cfg, run.process
    chosen = batch_indices(len(run.prompts), cfg.rollouts // cfg.group_size, run.iteration, cfg.seed)
    mine = chosen[process.rank::process.world_size]
    return [run.prompts[i] for i in mine for _ in range(cfg.group_size)]


@torch.no_grad()
def collect(run: Run) -> tuple[Experience, list[dict]]:
    """Write this process's replies of the iteration and score them; PPO's rewards, values and advantages or
    GRPO's group advantages."""
    cfg, device = run.cfg, run.device
    prompts = iteration_prompts(run)
    sampling = GenerationConfig(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=1.0,
                                seed=cfg.seed * 100_003 + run.iteration * 101 + run.process.rank)
    with eval_mode(run.model.policy):
        rollouts = roll_out(run.model.policy, run.tok, [p["conversation"] for p in prompts], sampling)
    ids, mask, span = rollouts.ids.to(device), rollouts.mask.to(device), rollouts.span.to(device)
    unfinished = torch.tensor([not r.finished for r in rollouts.replies], dtype=torch.float)
    scores = (scores_of(rollouts, prompts, run.reward_model, run.tok) - cfg.unfinished_penalty * unfinished).to(device)
    with autocast_for(device):
        logits, values = run.model(ids[:, :-1])
        ref_logits, _ = run.reference(ids[:, :-1])
    # the replies were drawn from softmax(logits / temperature): that is the policy whose probabilities count
    logprobs = token_logprobs(logits / cfg.temperature, ids)
    ref_logprobs = token_logprobs(ref_logits / cfg.temperature, ids)
    returns = None
    if cfg.algo == "ppo":
        rewards = kl_shaped_rewards(scores, logprobs, ref_logprobs, mask, cfg.kl_coef)
        advantages, returns = gae(rewards, values * span, cfg.gamma, cfg.lam, mask=span)
        advantages = whiten(advantages, mask)
    else:
        advantages = group_advantages(scores, cfg.group_size, cfg.scale_rewards)[:, None] * mask  # (B, T - 1)
    rollouts.ids, rollouts.mask, rollouts.span = ids, mask, span
    return Experience(rollouts, scores, logprobs, ref_logprobs, values, advantages, returns), prompts


def update(run: Run, exp: Experience, stop_requested: bool) -> tuple[dict, bool]:
    """PPO epochs over the replies: `minibatches` optimizer steps per epoch on shuffled mini-batches. Returns the
    means of the update's statistics and whether any process was asked to stop."""
    cfg, process = run.cfg, run.process
    n = exp.scores.numel()
    sums, stop_votes = {"micro_batches": 0}, False
    for epoch in range(cfg.ppo_epochs):
        order = np.random.default_rng([cfg.seed, run.iteration, epoch, process.rank]).permutation(n)
        for rows in np.split(order, cfg.minibatches):
            _, _, votes = optimizer_step(run, functools.partial(micro_loss, run, exp, rows, sums), stop_requested)
            stop_votes = stop_votes or votes
    count = sums.pop("micro_batches")
    return {name: total / count for name, total in sums.items()}, stop_votes


def micro_loss(run: Run, exp: Experience, rows: np.ndarray, sums: dict, micro: int) -> torch.Tensor:
    """Micro-batch `micro` of a mini-batch's `rows`: its share of the step's loss (its statistics added to sums)."""
    size = run.cfg.batch_size
    if micro == 0 and practising_with_sft(run):
        # once per step, its gradients added to the step's; scaled by accum: `update` averages over micro-batches
        for name, value in fine_tuning_backward(run).items():
            sums[name] = sums.get(name, 0.0) + value * run.accum
    stats = loss_terms(run, exp, torch.as_tensor(rows[micro * size:(micro + 1) * size], device=run.device))
    for name, value in stats.items():
        sums[name] = sums.get(name, 0.0) + value.item()
    sums["micro_batches"] += 1
    return stats["loss"] / (run.accum * run.process.world_size)


def practising_with_sft(run: Run) -> bool:
    """Whether this step adds the terms on data/sft's conversations: sft_coef or distill_coef is set and the policy
    learns (not PPO's value warm-up)."""
    cfg = run.cfg
    return bool(cfg.sft_coef or cfg.distill_coef) and (cfg.algo == "grpo" or run.iteration >= cfg.value_warmup)


def sft_batch(run: Run) -> tuple[torch.Tensor, ...]:
    """This process's data/sft conversations for the step: inputs, targets and loss mask (B, T). A fixed function
    of the seed and the step, as every batch is here (resume)."""
    cfg, process = run.cfg, run.process
    draw = run.step * process.world_size + process.rank
    batch = [run.sft_rows[i] for i in batch_indices(len(run.sft_rows), cfg.sft_rows, draw, cfg.seed)]
    return tuple(t.to(run.device) for t in pad_batch(batch, run.tok.special_tokens[IM_END]))


def fine_tuning_backward(run: Run) -> dict[str, float]:
    """sft_coef x lesson 09's loss and distill_coef x the KL from the fine-tuned model, on the step's data/sft
    conversations, backward: their gradients join the step's. A forward of its own (the replies' rows stay as short
    as they are) through the DDP wrapper; under torchrun its gradients wait, unsynchronised, for the step's last
    backward, which averages them with everything else's over the processes. Returns each term's value (nats per
    response token)."""
    x, y, m = sft_batch(run)
    sync = run.train_model.no_sync() if run.process.distributed else contextlib.nullcontext()
    with sync:
        with autocast_for(run.device):
            logits, _ = run.train_model(x, with_values=False)
        terms = {}
        if run.cfg.sft_coef:
            terms["sft_loss"] = masked_cross_entropy(logits, y, m)
        if run.cfg.distill_coef:
            with torch.no_grad(), autocast_for(run.device):
                ref_logits, _ = run.reference(x)
            terms["distill_kl"] = reference_kl(logits, ref_logits, m)
        (run.cfg.sft_coef * terms.get("sft_loss", 0.0) + run.cfg.distill_coef * terms.get("distill_kl", 0.0)).backward()
    return {name: value.item() for name, value in terms.items()}


def loss_terms(run: Run, exp: Experience, rows: torch.Tensor) -> dict[str, torch.Tensor]:
    """The loss of a micro-batch of replies and what to log of it (all but the loss detached)."""
    cfg = run.cfg
    ids, mask = exp.rollouts.ids[rows], exp.rollouts.mask[rows]
    with autocast_for(run.device):
        logits, values = run.train_model(ids[:, :-1])
    logits = logits / cfg.temperature
    logprobs = token_logprobs(logits, ids)
    pg_loss, clip_fraction = policy_loss(logprobs, exp.logprobs[rows], exp.advantages[rows], mask, cfg.clip)
    stats = {"policy_loss": pg_loss.detach(), "clip_fraction": clip_fraction,
             "entropy": masked_mean(entropy(logits.detach()), mask)}
    loss = pg_loss
    if cfg.algo == "ppo":
        vf_loss = value_loss(values, exp.values[rows], exp.returns[rows], mask, cfg.value_clip)
        stats["value_loss"] = vf_loss.detach()
        loss = cfg.vf_coef * vf_loss + (pg_loss if run.iteration >= cfg.value_warmup else 0.0)
    elif cfg.kl_coef:
        log_ratio = exp.ref_logprobs[rows] - logprobs  # k3 = exp(r) - r - 1 >= 0, unbiased for KL(pi || pi_ref)
        loss = loss + cfg.kl_coef * masked_mean(torch.exp(log_ratio) - log_ratio - 1, mask)
    return {"loss": loss, **stats}


def explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> float:
    """1 - Var(returns - values) / Var(returns) over the valid tokens: 1 for a perfect value model, 0 for one
    that only knows the mean, below 0 for a worse one."""
    var = masked_mean((returns - masked_mean(returns, mask)) ** 2, mask)
    residual = returns - values
    return float(1 - masked_mean((residual - masked_mean(residual, mask)) ** 2, mask) / var.clamp(min=1e-8))


def iteration_record(run: Run, exp: Experience, stats: dict, seconds: dict) -> dict:
    """What the log keeps of an iteration, averaged over the processes."""
    mask = exp.rollouts.mask
    kl = kl_to_reference(exp.logprobs, exp.ref_logprobs, mask)
    unfinished = exp.scores.new_tensor([not r.finished for r in exp.rollouts.replies])
    figures = {"score": (exp.scores + run.cfg.unfinished_penalty * unfinished).mean(), "kl": kl.mean(),
               "reply_tokens": mask.sum(1).mean(), "finished": 1 - unfinished.mean(),
               **{name: torch.tensor(value) for name, value in stats.items() if name != "loss"}}
    if exp.values is not None:
        figures["explained_variance"] = torch.tensor(explained_variance(exp.values, exp.returns, mask))
    values = torch.stack([v.float().to(run.device) for v in figures.values()])
    if run.process.distributed:
        dist.all_reduce(values)
        values /= run.process.world_size
    tokens = float(mask.sum()) * run.process.world_size
    return {"step": run.step, "iteration": run.iteration, **{k: round(v, 4) for k, v in zip(figures, values.tolist())},
            "rollout_tokens_per_s": round(tokens / seconds["rollout"]),
            "update_tokens_per_s": round(tokens * run.cfg.ppo_epochs / seconds["update"]),
            "iteration_s": round(seconds["rollout"] + seconds["update"], 2)}


# ----------------------------------------------------------------------------- the loop


def loop(run: Run, progress: bool, observe: Callable | None = None) -> dict:
    """Iterate until cfg.iterations (or SIGTERM): roll out, update, log (with what `observe` adds); checkpoint on
    the way and at the end; then the policy's weights, config.json and the training plot of a finished run."""
    cfg = run.cfg
    stopped, started = None, time.perf_counter()
    bar = tqdm(total=cfg.iterations, initial=run.iteration, desc=cfg.algo, unit="it",
               disable=not (progress and run.process.is_main))
    with StopSignal() as stop, bar:
        while run.iteration < cfg.iterations:
            t0 = time.perf_counter()
            exp, prompts = collect(run)
            t1 = time.perf_counter()
            stats, stop_votes = update(run, exp, stop.requested)
            record = iteration_record(run, exp, stats, {"rollout": t1 - t0, "update": time.perf_counter() - t1})
            if observe is not None:
                record.update(observe(exp, prompts))
            run.train_loss = stats["loss"]
            run.log.write(record)
            run.iteration += 1
            bar.update(1)
            bar.set_postfix(score=f"{record['score']:.2f}", kl=f"{record['kl']:.2f}")
            if stop_votes:
                stopped = "SIGTERM"
                break
            if run.iteration % cfg.checkpoint_interval == 0 and run.iteration < cfg.iterations:
                checkpoint_run(run, OWNER)
    checkpoint_run(run, OWNER)
    if run.process.is_main:
        plot_training(run.log.records, run.out / "training.png", cfg.algo)
        if stopped is None:
            final_policy(run).save_safetensors(run.out / "model.safetensors")
            atomic_write_text(run.out / "config.json", json.dumps({**run.info, "step": run.step}, indent=1) + "\n")
    last = run.log.records[-1] if run.log.records else {}
    return {"iteration": run.iteration, "step": run.step, "stopped": stopped,
            "seconds": round(time.perf_counter() - started, 1), "score": last.get("score"), "kl": last.get("kl"),
            "replicas_identical": replicas_identical(run.model, run.process)}


def final_policy(run: Run) -> GPT:
    """The policy to save: the trained one, or its interpolation with the fine-tuned model (cfg.interpolation)."""
    if run.cfg.interpolation == 1:
        return run.model.policy
    final = copy.deepcopy(run.reference)
    final.load_state_dict(interpolate_weights(run.reference.state_dict(), run.model.policy.state_dict(),
                                              run.cfg.interpolation))
    return final


def plot_training(records: list[dict], path: Path, algo: str) -> None:
    """Score, KL to the reference and reply length per iteration (and PPO's value-model fit)."""
    from matplotlib.figure import Figure

    panels = [("score", "mean score"), ("kl", "KL to the reference (nats / reply)"), ("reply_tokens", "reply tokens"),
              ("entropy", "entropy (nats / token)")]
    if any("explained_variance" in r for r in records):
        panels.append(("explained_variance", "value model: explained variance"))
    fig = Figure(figsize=(3 * len(panels), 2.8), layout="constrained")
    for ax, (key, title) in zip(fig.subplots(1, len(panels)), panels):
        points = [(r["iteration"], r[key]) for r in records if key in r]
        if points:
            ax.plot(*zip(*points), color="tab:blue", lw=1.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{algo.upper()}: what each iteration's replies earned", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def prompts_for(cfg: RLConfig, path: Path | None) -> list[dict]:
    if cfg.reward == "verifiable":
        return verifiable_prompts(path or DATA_DIR / "rl" / "train.jsonl")
    return open_ended_prompts(path or DATA_DIR / "preferences" / "train.jsonl")
