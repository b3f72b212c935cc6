package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// run executes the command line args and returns the process exit code. Errors are
// printed here, once, and mapped to exit codes by exitCode.
func run(args []string, io *ioStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := &factory{IO: io, Now: time.Now}
	return execute(ctx, f, args)
}

// execute runs the root command against f; tests call it with buffers.
func execute(ctx context.Context, f *factory, args []string) int {
	root := newCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errSilent) && !errors.Is(err, errSilentData) {
		if err == context.Canceled {
			fmt.Fprintln(f.IO.ErrOut, "gabor: interrupted")
		} else {
			// An interrupted run says what it saved and how to resume it.
			fmt.Fprintf(f.IO.ErrOut, "gabor: %v\n", err)
		}
		if code == exitUsage {
			if c, _, ferr := root.Find(args); ferr == nil && c != nil {
				fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", c.CommandPath())
			}
		}
	}
	return code
}

func newCmdRoot(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "gabor <command> [flags]",
		Short: "Train MLPs and small convnets on MNIST-scale data, on a GPU or the CPU",
		Long: `gabor trains multilayer perceptrons and small convolutional networks on
MNIST-scale image sets (Fashion-MNIST, MNIST, KMNIST, or a built-in synthetic digits
set), on an NVIDIA GPU or on the CPU, and keeps what it learned in a run directory
(config, per-epoch metrics, checkpoints).`,
		Example: `  gabor train                          # lenet on the default data
  gabor train --model mlp --epochs 3 --json
  gabor eval --checkpoint runs/lenet-20260101-120000/checkpoint.safetensors
  gabor data info fashion-mnist
  gabor devices`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// The root runs only when no subcommand matched: with no arguments it prints
		// help; anything else is an unknown command (exit 2), with cobra's suggestions.
		Args:                       cobra.ArbitraryArgs,
		RunE:                       helpOrUnknown,
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(
		newCmdTrain(f, nil),
		newCmdEval(f, nil),
		newCmdCurves(f, nil),
		newCmdPredict(f, nil),
		newCmdData(f),
		newCmdDevices(f, nil),
		newCmdVersion(f, nil),
		newCmdDeconv(f, nil),
		newCmdQuery(f, nil),
		newCmdFilters(f, nil),
		newCmdBench(f, nil),
		newCmdActivations(f, nil),
		newCmdEmbed(f, nil),
		newCmdRegions(f, nil),
		newCmdLandscape(f, nil),
		newCmdSweep(f),
		newCmdRace(f, nil),
		newCmdAblate(f, nil),
		newCmdReport(f, nil),
		newCmdServe(f, nil),
	)
	return root
}

// flagError makes a flag that does not parse a usage error (exit 2). Subcommands
// inherit it from the root.
func flagError(_ *cobra.Command, err error) error { return &usageError{err} }

// helpOrUnknown is the RunE of a command that only groups subcommands: with no
// arguments it prints help; anything else is an unknown command (exit 2), with the
// closest subcommand suggested.
func helpOrUnknown(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usagef("%s", msg)
}

// runDirArgs asks for one or more RUN_DIR arguments (curves, report, serve).
func runDirArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("%s needs at least one RUN_DIR", cmd.CommandPath())
	}
	return nil
}

// maxArgs is cobra.MaximumNArgs as a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s accepts at most %d argument(s), got %d: %q", cmd.CommandPath(), n, len(args), args)
		}
		return nil
	}
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q%s", cmd.CommandPath(), args, optionalValueHint(cmd, args[0]))
	}
	return nil
}

// optionalValueHint explains the usual cause of a stray argument: it
// followed a flag whose value is optional (`--serve 127.0.0.1:8080`), and
// such a flag takes its value only after "=".
func optionalValueHint(cmd *cobra.Command, arg string) string {
	hint := ""
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if hint == "" && f.NoOptDefVal != "" && f.Value.String() == f.NoOptDefVal {
			hint = fmt.Sprintf(" (--%s takes its value after '=': --%s=%s)", f.Name, f.Name, arg)
		}
	})
	return hint
}
