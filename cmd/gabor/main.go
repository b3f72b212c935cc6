// Command gabor trains MLPs and small convnets on MNIST-scale data, on an NVIDIA GPU or
// the CPU. See `gabor --help` and the README.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], newSystemIO()))
}
