#!/usr/bin/env bash
# The build enforces the layering (meson.build): each folder's library sees
# only its own headers and those of the folders below it,
#
#     tensor <- autograd <- layers <- models        tensor <- data
#
# This test proves it for every boundary: in a scratch copy of the source
# tree, it adds one upward #include to a file of a folder and checks that
# the folder's library then fails to compile, naming the header. Control
# probes (a header from the same folder or from below) must still compile,
# so a failure is the layering's doing and not a broken probe. The ONNX
# export lives in models/ and only there sees protobuf: the schema compiled
# by protoc-c (onnx.pb-c.h, generated in the build's models/) cannot be
# included below it.
# usage: check_layering.sh SOURCE_ROOT
set -u
root=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$root" --exclude='./build*' --exclude=./.git --exclude=./tests/onnx/node_modules -cf - . | tar -C "$work" -xf -
cd "$work" || exit 1
meson setup b -Dtests=disabled -Dopenmp=disabled >setup.log 2>&1 || { cat setup.log; exit 1; }

failures=0
# probe FOLDER FILE HEADER EXPECT: EXPECT is "fail" (upward) or "ok" (control)
probe() {
  local folder=$1 file=$2 header=$3 expect=$4 log=probe.log
  cp "$folder/$file" "$folder/$file.orig"
  printf '#include "%s"\n' "$header" | cat - "$folder/$file.orig" >"$folder/$file"
  if ninja -C b "$folder/libck_$folder.a" >"$log" 2>&1; then got=ok; else got=fail; fi
  mv "$folder/$file.orig" "$folder/$file"
  if [ "$got" != "$expect" ]; then
    echo "FAIL: #include \"$header\" in $folder/$file: expected the build to $expect, it did $got"
    tail -5 "$log"
    failures=$((failures + 1))
  elif [ "$expect" = fail ] && ! grep -q "$header: No such file" "$log"; then
    echo "FAIL: #include \"$header\" in $folder/$file failed, but not for the header:"
    tail -5 "$log"
    failures=$((failures + 1))
  else
    if [ "$expect" = fail ]; then echo "ok: #include \"$header\" in $folder/$file: the build fails, as it should"; else echo "ok: #include \"$header\" in $folder/$file: compiles (control)"; fi
  fi
}

# every folder refuses every header from a folder that is not below it
probe tensor   tensor.c  ck_autograd.h  fail
probe tensor   tensor.c  ck_layers.h    fail
probe tensor   tensor.c  ck_model.h     fail
probe tensor   tensor.c  ck_movielens.h fail
probe autograd tape.c    ck_layers.h    fail
probe autograd tape.c    ck_model.h     fail
probe autograd tape.c    ck_text.h      fail
probe layers   core.c    ck_model.h     fail
probe layers   core.c    ck_fm.h        fail
probe layers   core.c    ck_movielens.h fail
probe models   model.c   ck_movielens.h fail
probe autograd tape.c    ck_onnx.h      fail
probe layers   core.c    ck_onnx.h      fail
probe autograd ops_onnx.c onnx.pb-c.h   fail
probe layers   core.c    onnx.pb-c.h    fail
probe data     text.c    ck_autograd.h  fail
probe data     text.c    ck_layers.h    fail
probe data     text.c    ck_model.h     fail
# controls: headers from the same folder or below compile
probe tensor   tensor.c  ck_kernels.h   ok
probe autograd tape.c    ck_tensor.h    ok
probe layers   core.c    ck_autograd.h  ok
probe models   model.c   ck_layers.h    ok
probe models   model.c   ck_onnx.h      ok
probe data     text.c    ck_tensor.h    ok
# with protobuf-c found (-Donnx=auto), models/ sees the generated schema
if grep -q 'onnx\.pb-c\.c' b/build.ninja; then
  probe models model.c onnx.pb-c.h ok
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
