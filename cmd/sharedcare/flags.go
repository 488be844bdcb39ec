package main

import (
	"flag"
	"strings"
)

// splitFlags parses the flags fs defines out of args and returns the rest
// (configuration flags for config.Load, and their values) in order. -h or
// -help prints fs's usage and returns flag.ErrHelp.
func splitFlags(fs *flag.FlagSet, args []string) (rest []string, err error) {
	var own []string
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(strings.SplitN(args[i], "=", 2)[0], "-")
		if name == "h" || name == "help" {
			fs.Usage()
			return nil, flag.ErrHelp
		}
		f := fs.Lookup(name)
		if f == nil || !strings.HasPrefix(args[i], "-") {
			rest = append(rest, args[i])
			continue
		}
		own = append(own, args[i])
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool && !strings.Contains(args[i], "=") && i+1 < len(args) {
			own = append(own, args[i+1])
			i++
		}
	}
	return rest, fs.Parse(own)
}

// repeated is a flag that may be given more than once.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }
