#!/usr/bin/env python3
"""Check our FM against the PyTorch replica from identical weights.

Builds the replica (../shared/bench/torch_fm.py) with torch seed 7, writes its
initial weights under our layer names, runs build/bench/crosscheck (which
loads them into the FM built from layers), trains one epoch without shuffling
on both sides, and compares train/val MSE and every weight tensor.

    /usr/bin/python3 bench/crosscheck_torch.py --data DIR --format ml100k|ml1m [--masked]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

NAMES = {'d1_fea3': 'num_dense_1d_fea4', 'd2_fea3': 'num_dense_2d_fea3', 'out': 'fm_output',
         'e1_uid': 'cat_embed_1d_uid', 'e1_mid': 'cat_embed_1d_mid', 'e1_genre': 'cat_embed_1d_genre',
         'e2_uid': 'cat_embed_2d_uid', 'e2_mid': 'cat_embed_2d_mid', 'e2_genre': 'cat_embed_2d_genre'}


def to_ours(model):
    """torch state_dict -> {layer/weight: array}; Linear weights are (out, in), Keras kernels (in, out)."""
    out = {}
    for k, v in model.state_dict().items():
        mod, w = k.split('.')
        v = v.detach().numpy().astype('<f4')
        if w == 'weight':
            out[NAMES[mod] + ('/embeddings' if mod.startswith('e') else '/kernel')] = \
                v if mod.startswith('e') else np.ascontiguousarray(v.T)
        else:
            out[NAMES[mod] + '/bias'] = v
    return out


def save(path, tensors):
    hdr, off, blobs = {}, 0, []
    for k, v in tensors.items():
        b = v.tobytes()
        hdr[k] = dict(dtype='F32', shape=list(v.shape), data_offsets=[off, off + len(b)])
        off += len(b)
        blobs.append(b)
    h = json.dumps(hdr).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def load(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: np.frombuffer(b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4')
            .reshape(v['shape']) for k, v in h.items() if k != '__metadata__'}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--format', choices=['ml1m', 'ml100k'], required=True)
    ap.add_argument('--masked', action='store_true')
    ap.add_argument('--ours', default='build/bench/crosscheck')
    ap.add_argument('--torch-fm', default=os.path.join(os.path.dirname(__file__), '..', '..',
                                                       'shared', 'bench'))
    a = ap.parse_args()
    sys.path.insert(0, a.torch_fm)
    import torch_fm as T

    train, val, info = T.prepare(argparse.Namespace(format=a.format, data=a.data, seed=7,
                                                    merge_order='legacy'))
    torch.manual_seed(7)
    m = T.FM(info['n_uid'], info['n_mid'], masked=a.masked)

    def mse(split):
        f3, u, mm, g, y = split
        with torch.no_grad():
            return float(((m(f3, u, mm, g) - y) ** 2).mean())

    with tempfile.TemporaryDirectory() as tmp:
        init, ours_out = os.path.join(tmp, 'init.safetensors'), os.path.join(tmp, 'ours.safetensors')
        save(init, to_ours(m))
        t_train, t_val = mse(train), mse(val)
        opt, lossf = T.KerasAdam(m.parameters()), torch.nn.MSELoss()
        f3, u, mm, g, y = train
        tot = 0.0
        for i in range(0, len(y), 2048):       # one epoch, batches in row order
            loss = lossf(m(f3[i:i + 2048], u[i:i + 2048], mm[i:i + 2048], g[i:i + 2048]), y[i:i + 2048])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss) * len(y[i:i + 2048])
        print('torch init train_mse %.6f val_mse %.6f | epoch 1 (no shuffle) loss %.6f val_mse %.6f'
              % (t_train, t_val, tot / len(y), mse(val)))
        r = subprocess.run([a.ours, a.data, 'masked' if a.masked else 'notebook', init, ours_out],
                           capture_output=True, text=True)
        sys.stdout.write(r.stdout + r.stderr)
        if r.returncode:
            return r.returncode
        theirs, ours = to_ours(m), load(ours_out)
        worst = max(float(np.abs(theirs[k] - ours[k]).max()) for k in theirs)
        print('largest weight difference after one epoch: %.3g' % worst)
    return 0


if __name__ == '__main__':
    sys.exit(main())
