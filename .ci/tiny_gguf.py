#!/usr/bin/env python3
"""Writes a tiny LLaMA-shaped GGUF model with random weights, for testing an HTTP client against
llama.cpp's real server. The text it writes is noise; what matters is that the server runs it,
and that schema-constrained JSON replies finish quickly.

    python tiny_gguf.py OUT.gguf [--seed N]      (needs numpy and gguf)

Vocabulary: the special tokens, 256 byte-fallback tokens (so any UTF-8 input tokenises), the
SentencePiece space, printable ASCII and the Devanagari block. Hidden unit 0 is held at 1.0 in
every embedding and never written by a layer, so the output matrix's column 0 acts as a fixed
per-token bias: closing JSON characters and end-of-turn are favoured, byte and control tokens are
suppressed. Everything else is Gaussian.
"""
import argparse
import unicodedata

import gguf
import numpy as np

DIM, LAYERS, HEADS, FFN, CTX = 64, 2, 4, 128, 2048
TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def vocabulary():
    kind = gguf.TokenType
    entries = [("<unk>", kind.UNKNOWN), ("<s>", kind.CONTROL), ("</s>", kind.CONTROL),
               ("<|im_start|>", kind.CONTROL), ("<|im_end|>", kind.CONTROL)]
    entries += [(f"<0x{b:02X}>", kind.BYTE) for b in range(256)]
    plain = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)]
    plain += [chr(c) for c in range(0x0900, 0x0980) if unicodedata.category(chr(c)) != "Cn"]
    tokens = [t for t, _ in entries] + plain
    types = [int(k) for _, k in entries] + [int(kind.NORMAL)] * len(plain)
    scores = [0.0] * len(entries) + [-1.0 - i / 1000 for i in range(len(plain))]
    return tokens, scores, types


def main():
    args = argparse.ArgumentParser()
    args.add_argument("out")
    args.add_argument("--seed", type=int, default=7)
    a = args.parse_args()
    rng = np.random.default_rng(a.seed)
    tokens, scores, types = vocabulary()
    n = len(tokens)
    eos = tokens.index("<|im_end|>")

    def noise(shape, scale):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name("tiny-random-llama")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_vocab_size(n)
    w.add_context_length(CTX)
    w.add_embedding_length(DIM)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_rope_dimension_count(DIM // HEADS)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(False)
    w.add_chat_template(TEMPLATE)

    embed = noise((n, DIM), 1.0)
    embed[:, 0] = 1.0
    w.add_tensor("token_embd.weight", embed)
    for i in range(LAYERS):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(DIM, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", noise((DIM, DIM), 0.2))
        w.add_tensor(p + "attn_k.weight", noise((DIM, DIM), 0.2))
        w.add_tensor(p + "attn_v.weight", noise((DIM, DIM), 0.06))
        out_proj = noise((DIM, DIM), 0.06)
        out_proj[0, :] = 0.0
        w.add_tensor(p + "attn_output.weight", out_proj)
        w.add_tensor(p + "ffn_norm.weight", np.ones(DIM, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", noise((FFN, DIM), 0.12))
        w.add_tensor(p + "ffn_up.weight", noise((FFN, DIM), 0.12))
        down = noise((DIM, FFN), 0.06)
        down[0, :] = 0.0
        w.add_tensor(p + "ffn_down.weight", down)
    w.add_tensor("output_norm.weight", np.ones(DIM, dtype=np.float32))

    head = noise((n, DIM), 0.15)
    head[:, 0] = 0.0
    bias = {tokens.index(t): b for t, b in [('"', 3.5), ("}", 3.0), ("]", 2.0)]}
    bias[eos] = 2.5
    for i, ty in enumerate(types):
        if ty != int(gguf.TokenType.NORMAL) and i != eos:
            bias[i] = -10.0
    for i, b in bias.items():
        head[i, :] = 0.0
        head[i, 0] = b
    w.add_tensor("output.weight", head)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
