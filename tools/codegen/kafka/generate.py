#!/usr/bin/python3
"""Generates the Kafka request/response codecs from Kafka's JSON message schemas.

Usage: generate.py [--schemas DIR] [--out DIR] [--check]
  --schemas  directory holding <Api>{Request,Response}.json (default /work/shared/kafka-protocol)
  --out      output directory (default src/protocol/kafka/codec/generated next to this repo)
  --check    regenerate into a temporary directory and diff against --out (exit 1 on change)

Output: one <api>.h/.cc pair per API (request and response structs with nested structs,
decode(Reader&, version) and encode(Writer&, version)), headers.h/.cc for the request and
response headers, and api_table.h/.cc listing every generated API.
"""
import argparse, difflib, json, os, re, shutil, sys, tempfile

APIS = ["ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "CreateTopics",
        "DeleteTopics", "CreatePartitions", "DescribeConfigs", "AlterConfigs",
        "IncrementalAlterConfigs", "FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat",
        "LeaveGroup", "OffsetCommit", "OffsetFetch", "ListGroups", "DescribeGroups",
        "DeleteGroups", "InitProducerId", "SaslHandshake", "SaslAuthenticate", "DescribeCluster"]

CPP_KEYWORDS = {"default", "delete", "new", "class", "operator", "template", "this", "throw",
                "union", "register", "private", "public", "protected", "namespace", "int",
                "long", "short", "char", "bool", "float", "double", "auto", "const"}

PRIM = {  # type -> (C++ type, Reader method, Writer method, default literal)
    "bool": ("bool", "boolean", "boolean", "false"),
    "int8": ("int8_t", "i8", "i8", "0"),
    "int16": ("int16_t", "i16", "i16", "0"),
    "uint16": ("uint16_t", "u16", "u16", "0"),
    "int32": ("int32_t", "i32", "i32", "0"),
    "uint32": ("uint32_t", "u32", "u32", "0"),
    "int64": ("int64_t", "i64", "i64", "0"),
    "float64": ("double", "f64", "f64", "0.0"),
    "uuid": ("Uuid", "uuid", "uuid", "{}"),
}


def strip_comments(text):
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1]); i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True; out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load(path):
    with open(path) as f:
        return json.loads(strip_comments(f.read()))


class Versions:
    def __init__(self, spec, hi=32767):
        spec = (spec or "none").strip()
        if spec == "none":
            self.lo, self.hi = 1, 0
        elif spec.endswith("+"):
            self.lo, self.hi = int(spec[:-1]), hi
        elif "-" in spec:
            a, b = spec.split("-"); self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(spec)

    def empty(self):
        return self.lo > self.hi

    def cond(self, var, within):
        """C++ condition 'var in self', simplified against the message's valid range."""
        lo, hi = max(self.lo, within.lo), min(self.hi, within.hi)
        if lo > hi:
            return "false"
        parts = []
        if lo > within.lo:
            parts.append(f"{var} >= {lo}")
        if hi < within.hi:
            parts.append(f"{var} <= {hi}")
        return " && ".join(parts) if parts else "true"


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()
    return s + "_" if s in CPP_KEYWORDS else s


class Gen:
    def __init__(self, schema, common=None):
        self.s = schema
        self.valid = Versions(schema["validVersions"])
        self.flex = Versions(schema.get("flexibleVersions", "none"))
        self.common = {c["name"]: c for c in schema.get("commonStructs", [])}
        self.decl, self.impl = [], []

    # ---- type helpers
    def is_array(self, f):
        return f["type"].startswith("[]")

    def elem(self, f):
        return f["type"][2:] if self.is_array(f) else f["type"]

    def is_struct_type(self, t):
        return t not in PRIM and t not in ("string", "bytes", "records")

    def nullable(self, f):
        return not Versions(f.get("nullableVersions")).empty()

    def cpp_scalar(self, t):
        if t in PRIM:
            return PRIM[t][0]
        return {"string": "std::string", "bytes": "std::vector<uint8_t>", "records": "Records"}.get(t, t)

    def cpp_type(self, f):
        t = self.elem(f)
        if self.is_array(f):
            base = f"std::vector<{self.cpp_scalar(t)}>"
            return f"std::optional<{base}>" if self.nullable(f) else base
        if t in ("string", "bytes") or self.is_struct_type(t):
            base = self.cpp_scalar(t)
            return f"std::optional<{base}>" if self.nullable(f) else base
        return self.cpp_scalar(t)

    def default_init(self, f):
        t, d = self.elem(f), f.get("default")
        if self.is_array(f) or self.is_struct_type(t) or t == "records":
            return ""
        if t == "string":
            if d is None or d == "null" or d == "":
                return ""
            return " = " + json.dumps(d)
        if t == "bytes" or t == "uuid":
            return ""
        if d is None or d == "":
            return " = " + PRIM[t][3]
        d = str(d)
        if t == "bool":
            return " = " + ("true" if d.lower() == "true" else "false")
        if t == "float64":
            return " = " + d
        v = int(d, 16) if d.lower().startswith(("0x", "-0x")) else int(d)
        suffix = "LL" if t == "int64" else ""
        if t == "int64" and v == -(1 << 63):
            return " = INT64_MIN"
        return f" = {v}{suffix}"

    # ---- structs
    def struct_fields(self, f):
        t = self.elem(f)
        if "fields" in f:
            return f["fields"]
        return self.common[t]["fields"]

    def emit_struct(self, name, fields, indent, qual, top=False):
        pad = "  " * indent
        out = [f"{pad}struct {name} {{"]
        if top:
            out.append(f"{pad}  static constexpr int16_t kApiKey = {self.s.get('apiKey', -1)};")
            out.append(f"{pad}  static constexpr int16_t kMinVersion = {self.valid.lo};")
            out.append(f"{pad}  static constexpr int16_t kMaxVersion = {self.valid.hi};")
            fl = self.flex.lo if not self.flex.empty() else 32767
            out.append(f"{pad}  static constexpr int16_t kFirstFlexible = {fl};")
            for cname, c in self.common.items():
                out += self.emit_struct(cname, c["fields"], indent + 1, qual + "::" + cname)
        for f in fields:
            t = self.elem(f)
            if self.is_struct_type(t) and "fields" in f:
                out += self.emit_struct(t, f["fields"], indent + 1, qual + "::" + t)
        for f in fields:
            out.append(f"{pad}  {self.cpp_type(f)} {snake(f['name'])}{self.default_init(f)};")
        out.append(f"{pad}  bool decode(Reader& r, int16_t v);")
        out.append(f"{pad}  void encode(Writer& w, int16_t v) const;")
        out.append(f"{pad}  bool operator==(const {name}&) const = default;")
        out.append(f"{pad}}};")
        self.emit_impl(qual, fields)
        return out

    def field_flex(self, f):
        """C++ expression: is this field encoded in the flexible (compact) form."""
        if "flexibleVersions" in f:
            fv = Versions(f["flexibleVersions"])
            return "false" if fv.empty() else f"(flex && {fv.cond('v', self.valid)})"
        return "flex"

    def read_value(self, t, target, flex, nullable, qual_t):
        """Statements decoding one value of type t into lvalue target."""
        if t in PRIM:
            return [f"{target} = r.{PRIM[t][1]}();"]
        if t == "string":
            return [f"{target} = r.{'nullable_string' if nullable else 'string'}({flex});"]
        if t == "bytes":
            return [f"{target} = r.{'nullable_bytes' if nullable else 'bytes'}({flex});"]
        if t == "records":
            return [f"{target} = r.records({flex});"]
        if nullable:  # nullable struct: int8 presence marker
            return [f"if (r.i8() >= 0) {{ {target}.emplace(); {target}->decode(r, v); }} else {{ {target}.reset(); }}"]
        return [f"{target}.decode(r, v);"]

    def write_value(self, t, src, flex, nullable):
        if t in PRIM:
            return [f"w.{PRIM[t][2]}({src});"]
        if t == "string":
            return [f"w.{'nullable_string' if nullable else 'string'}({src}, {flex});"]
        if t == "bytes":
            return [f"w.{'nullable_bytes' if nullable else 'bytes'}({src}, {flex});"]
        if t == "records":
            return [f"w.records({src}, {flex});"]
        if nullable:
            return [f"if ({src}) {{ w.i8(1); {src}->encode(w, v); }} else {{ w.i8(-1); }}"]
        return [f"{src}.encode(w, v);"]

    def decode_field(self, f, qual, reader="r"):
        name, t, flex = snake(f["name"]), self.elem(f), self.field_flex(f)
        nullable = self.nullable(f)
        nv = Versions(f.get("nullableVersions"))
        if self.is_array(f):
            et = self.cpp_scalar(t)
            lines = ["{", f"  const int32_t n = r.array_len({flex});"]
            if nullable:
                lines += [f"  if (n < 0) {{ if (!({nv.cond('v', self.valid)})) r.fail(); {name}.reset(); }} else {{",
                          f"    auto& a = {name}.emplace(); a.resize(size_t(n));"]
            else:
                lines += [f"  if (n < 0) {{ r.fail(); }} else {{", f"    auto& a = {name}; a.clear(); a.resize(size_t(n));"]
            lines.append(f"    for (auto& e : a) {{ if (!r.ok()) break;")
            lines += ["      " + s for s in self.read_value(t, "e", flex, False, et)]
            lines += ["    }", "  }", "}"]
            return lines
        return self.read_value(t, name, flex, nullable, self.cpp_scalar(t))

    def encode_field(self, f):
        name, t, flex = snake(f["name"]), self.elem(f), self.field_flex(f)
        nullable = self.nullable(f)
        if self.is_array(f):
            lines = []
            ref = name
            if nullable:
                lines.append(f"if (!{name}) {{ w.array_len(-1, {flex}); }} else {{")
                ref = f"(*{name})"
            else:
                lines.append("{")
            lines.append(f"  w.array_len(int32_t({ref}.size()), {flex});")
            lines.append(f"  for (const auto& e : {ref}) {{")
            lines += ["    " + s for s in self.write_value(t, "e", flex, False)]
            lines += ["  }", "}"]
            return lines
        return self.write_value(t, name, flex, nullable)

    def emit_impl(self, qual, fields):
        regular = [f for f in fields if "tag" not in f]
        tagged = [f for f in fields if "tag" in f]
        flex_cond = self.flex.cond("v", self.valid)
        d = [f"bool {qual}::decode(Reader& r, [[maybe_unused]] int16_t v) {{",
             f"  [[maybe_unused]] const bool flex = {flex_cond};"]
        e = [f"void {qual}::encode(Writer& w, [[maybe_unused]] int16_t v) const {{",
             f"  [[maybe_unused]] const bool flex = {flex_cond};"]
        for f in regular:
            c = Versions(f["versions"]).cond("v", self.valid)
            if c == "false":
                continue
            dec, enc = self.decode_field(f, qual), self.encode_field(f)
            if c == "true":
                d += ["  " + s for s in dec]; e += ["  " + s for s in enc]
            else:
                d.append(f"  if ({c}) {{"); d += ["    " + s for s in dec]; d.append("  }")
                e.append(f"  if ({c}) {{"); e += ["    " + s for s in enc]; e.append("  }")
        if not self.flex.empty() and not tagged:
            d.append("  if (flex) r.skip_tagged_fields();")
            e.append("  if (flex) w.uvarint(0);  // no tagged fields")
        elif not self.flex.empty():
            d += ["  if (flex) {",
                  "    const uint32_t tags = r.uvarint();",
                  "    for (uint32_t i = 0; i < tags && r.ok(); ++i) {",
                  "      const uint32_t tag = r.uvarint();",
                  "      Reader sub = r.sub(r.uvarint());",
                  "      [[maybe_unused]] Reader& outer = r;",
                  "      switch (tag) {"]
            for f in tagged:
                c = Versions(f.get("taggedVersions", f["versions"])).cond("v", self.valid)
                dec = self.decode_field(f, qual)
                d.append(f"        case {f['tag']}: if ({c}) {{ Reader& r = sub; (void)r;")
                d += ["          " + s for s in dec]
                d.append("          if (!sub.ok()) outer.fail(); } break;")
            d += ["        default: break;", "      }", "    }", "  }"]
            e += ["  if (flex) {", "    [[maybe_unused]] uint32_t tags = 0;"]
            for f in tagged:
                c = Versions(f.get("taggedVersions", f["versions"])).cond("v", self.valid)
                e.append(f"    const bool has_{f['tag']} = ({c}) && !({self.is_default_expr(f)});")
                e.append(f"    tags += has_{f['tag']};")
            e.append("    w.uvarint(tags);")
            for f in sorted(tagged, key=lambda f: f["tag"]):
                e += [f"    if (has_{f['tag']}) {{", "      Writer tw;",
                      "      { Writer& w = tw;"]
                e += ["        " + s for s in self.encode_field(f)]
                e += ["      }", f"      w.uvarint({f['tag']}); w.uvarint(uint32_t(tw.size())); w.append(tw);", "    }"]
            e.append("  }")
        d += ["  return r.ok();", "}", ""]
        e += ["}", ""]
        self.impl += d + e

    def is_default_expr(self, f):
        name = snake(f["name"])
        init = self.default_init(f)
        if init:
            return f"{name} =={init[2:]}"
        return f"{name} == decltype({name}){{}}"


def header_preamble():
    return ["// Generated by tools/codegen/kafka/generate.py from Kafka's JSON schemas. Do not edit.",
            "#pragma once", "", "#include <cstdint>", "#include <optional>", "#include <string>",
            "#include <vector>", "", '#include "protocol/kafka/codec/reader.h"',
            '#include "protocol/kafka/codec/writer.h"', "", "namespace unimq::kafka::codec {", ""]


def generate(schemas, out):
    files = {}
    table = []
    for api in APIS + ["Header"]:
        decl = header_preamble()
        impl = []
        names = ["RequestHeader", "ResponseHeader"] if api == "Header" else [api + "Request", api + "Response"]
        sch = {}
        for n in names:
            s = load(os.path.join(schemas, n + ".json"))
            sch[n] = s
            g = Gen(s)
            decl += g.emit_struct(n, s["fields"], 0, n, top=True) + [""]
            impl += g.impl
        decl.append("}  // namespace unimq::kafka::codec")
        base = "headers" if api == "Header" else snake(api)
        files[base + ".h"] = "\n".join(decl) + "\n"
        files[base + ".cc"] = "\n".join(
            ["// Generated by tools/codegen/kafka/generate.py from Kafka's JSON schemas. Do not edit.",
             f'#include "protocol/kafka/codec/generated/{base}.h"', "",
             "namespace unimq::kafka::codec {", ""] + impl + ["}  // namespace unimq::kafka::codec"]) + "\n"
        if api != "Header":
            req = sch[api + "Request"]
            v = Versions(req["validVersions"]); fl = Versions(req.get("flexibleVersions", "none"))
            table.append((api, base, req["apiKey"], v.lo, v.hi, fl.lo if not fl.empty() else 32767))
    h = ["// Generated by tools/codegen/kafka/generate.py from Kafka's JSON schemas. Do not edit.",
         "// Every generated API: key, schema version range, first flexible version.",
         "#pragma once", "", "#include <cstdint>", "#include <span>", "",
         "namespace unimq::kafka::codec {", "", "class Reader;", "",
         "struct ApiSchema {", "  int16_t api_key;", "  const char* name;", "  int16_t min_version;",
         "  int16_t max_version;", "  int16_t first_flexible;  // 32767 = never", "};", "",
         "namespace api_key {"]
    for api, base, key, lo, hi, fl in sorted(table, key=lambda t: t[2]):
        h.append(f"inline constexpr int16_t k{api} = {key};")
    h += ["}  // namespace api_key", "",
          "std::span<const ApiSchema> api_schemas();",
          "const ApiSchema* find_api_schema(int16_t api_key);  // nullptr when not generated",
          "// Decodes (and discards) a request body of any generated API; false = malformed or",
          "// unknown key/version. For the fuzzer and tests.",
          "bool decode_any_request(int16_t api_key, int16_t version, Reader& r);", "",
          "}  // namespace unimq::kafka::codec"]
    c = ["// Generated by tools/codegen/kafka/generate.py from Kafka's JSON schemas. Do not edit.",
         '#include "protocol/kafka/codec/generated/api_table.h"', ""]
    for api, base, *_ in table:
        c.append(f'#include "protocol/kafka/codec/generated/{base}.h"')
    c += ["", "namespace unimq::kafka::codec {", "", "namespace {", "constexpr ApiSchema kSchemas[] = {"]
    for api, base, key, lo, hi, fl in sorted(table, key=lambda t: t[2]):
        c.append(f'    {{{key}, "{api}", {lo}, {hi}, {fl}}},')
    c += ["};", "}  // namespace", "", "std::span<const ApiSchema> api_schemas() { return kSchemas; }", "",
          "const ApiSchema* find_api_schema(int16_t api_key) {",
          "  for (const auto& s : kSchemas)", "    if (s.api_key == api_key) return &s;",
          "  return nullptr;", "}", "",
          "bool decode_any_request(int16_t api_key, int16_t version, Reader& r) {",
          "  const ApiSchema* s = find_api_schema(api_key);",
          "  if (!s || version < s->min_version || version > s->max_version) return false;",
          "  switch (api_key) {"]
    for api, base, key, *_ in sorted(table, key=lambda t: t[2]):
        c.append(f"    case {key}: {{ {api}Request m; return m.decode(r, version); }}")
    c += ["    default: return false;", "  }", "}", "", "}  // namespace unimq::kafka::codec"]
    files["api_table.h"] = "\n".join(h) + "\n"
    files["api_table.cc"] = "\n".join(c) + "\n"
    os.makedirs(out, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    fmt = shutil.which("clang-format")
    if fmt:
        style = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".clang-format")
        import subprocess
        subprocess.run([fmt, "-i", f"--style=file:{os.path.abspath(style)}"] +
                       [os.path.join(out, n) for n in files], check=True)
    return sorted(files)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", default="/work/shared/kafka-protocol")
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "..", "src/protocol/kafka/codec/generated"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if not a.check:
        print("generated", len(generate(a.schemas, a.out)), "files into", os.path.normpath(a.out))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        names = generate(a.schemas, tmp)
        changed = False
        for n in names:
            new = open(os.path.join(tmp, n)).read()
            p = os.path.join(a.out, n)
            old = open(p).read() if os.path.exists(p) else ""
            if old != new:
                changed = True
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), p, n))
        print("generated codecs are", "OUT OF DATE" if changed else "up to date")
        return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
