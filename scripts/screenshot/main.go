// Command screenshot saves a PNG of a page as headless chromium shows it,
// after its scripts ran for a while: what scripts/report-screenshots.sh
// uses for docs/img (chromium's own --screenshot waits for a page that
// holds an event stream open for ever).
//
//	go run ./scripts/screenshot -url URL -out FILE [-wait 3s] [-scroll ID] [-width 1400 -height 1100]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "", "page to open")
	out := flag.String("out", "", "PNG file to write")
	wait := flag.Duration("wait", 3*time.Second, "how long the page's scripts run before the picture")
	scroll := flag.String("scroll", "", "scroll the element with this id to the top first")
	width := flag.Int("width", 1400, "window width")
	height := flag.Int("height", 1100, "window height")
	browser := flag.String("chromium", "chromium", "browser to run")
	flag.Parse()
	if *url == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "screenshot: -url and -out are needed")
		os.Exit(2)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(*browser), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("hide-scrollbars", true), chromedp.WindowSize(*width, *height))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, time.Minute+*wait)
	defer cancel3()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(*url), chromedp.Sleep(*wait)}
	if *scroll != "" {
		steps = append(steps, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.getElementById(%q); if (!e) return false;
				window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - document.querySelector("header").offsetHeight); return true; })()`, *scroll))(ctx, t)
			return err
		}), chromedp.Sleep(300*time.Millisecond))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		fmt.Fprintf(os.Stderr, "screenshot: %s: %v\n", *url, err)
		os.Exit(1)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(*out, png, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "screenshot: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}
