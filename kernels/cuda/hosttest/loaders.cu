// loaders.cu — a host program (no GPU needed) that checks the index math of
// the implicit-GEMM operand loaders and epilogues of gemm_core.cuh: every
// GEMM transpose and the three convolutions, computed as
//   out(m, n) = epilogue(Σ_k A(m, k)·B(n, k))  with A, B read through the loaders,
// must equal plain loops written from the definitions in kernels/ops.go, over
// odd shapes with stride, padding and dilation. It does not run the kernels
// (the tile loops, cp.async, mma): those are checked on a GPU by the
// conformance suite. Built and run by `make kernels-check`.
#include "../gemm_core.cuh"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

static std::mt19937 rng(7);
static std::vector<float> randv(size_t n) {
	std::normal_distribution<float> d;
	std::vector<float> v(n);
	for (auto& x : v) x = d(rng);
	return v;
}

static int failures = 0;
static void expect_close(const char* what, const std::vector<float>& got, const std::vector<double>& want) {
	for (size_t i = 0; i < got.size(); i++) {
		double tol = 1e-4 * (1 + std::fabs(want[i]));
		if (!(std::fabs(got[i] - want[i]) <= tol)) {
			std::printf("FAIL %s: [%zu] = %g, want %g\n", what, i, got[i], want[i]);
			failures++;
			return;
		}
	}
}

// implicit runs the product through the loaders like gemm_main does, minus
// the tiling: out(m, n) = Σ_k A(m, k)·B(n, k).
template <class LA, class LB, class EP>
static void implicit(const LA& la, const LB& lb, const EP& ep, int M, int N, int K) {
	for (int m = 0; m < M; m++)
		for (int n = 0; n < N; n++) {
			double s = 0;
			for (int k = 0; k < K; k++) {
				bool oka = true, okb = true;
				const float* pa = la.at(m, k, oka);
				const float* pb = lb.at(n, k, okb);
				if (oka && okb) s += (double)*pa * (double)*pb;
			}
			ep.store(m, n, (float)s);
		}
}

static void check_gemm(int M, int N, int K, bool ta, bool tb) {
	auto A = randv((size_t)M * K), B = randv((size_t)K * N), bias = randv(N);
	std::vector<float> C(M * N);
	std::vector<double> want(M * N);
	for (int m = 0; m < M; m++)
		for (int n = 0; n < N; n++) {
			double s = 0;
			for (int k = 0; k < K; k++) s += (double)(ta ? A[k * M + m] : A[m * K + k]) * (tb ? B[n * K + k] : B[k * N + n]);
			want[m * N + n] = s + bias[n];
		}
	EpiRowMajor ep{C.data(), bias.data(), N, 1.f, 0.f, ACT_NONE};
	if (ta && tb) implicit(DenseLoader<false>{A.data(), M}, DenseLoader<true>{B.data(), K}, ep, M, N, K);
	if (ta && !tb) implicit(DenseLoader<false>{A.data(), M}, DenseLoader<false>{B.data(), N}, ep, M, N, K);
	if (!ta && tb) implicit(DenseLoader<true>{A.data(), K}, DenseLoader<true>{B.data(), K}, ep, M, N, K);
	if (!ta && !tb) implicit(DenseLoader<true>{A.data(), K}, DenseLoader<false>{B.data(), N}, ep, M, N, K);
	char what[64];
	std::snprintf(what, sizeof what, "gemm %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
	expect_close(what, C, want);
}

static void check_conv(ConvGeom g) {
	const int nx = g.N * g.C * g.H * g.W, nw = g.K * g.C * g.R * g.S, ny = g.N * g.K * g.OH * g.OW;
	auto x = randv(nx), w = randv(nw), dy = randv(ny), bias = randv(g.K);
	std::vector<double> y(ny), dx(nx), dw(nw);
	// The definition: every (input, output, filter) triple the correlation multiplies.
	for (int n = 0; n < g.N; n++)
		for (int k = 0; k < g.K; k++)
			for (int oh = 0; oh < g.OH; oh++)
				for (int ow = 0; ow < g.OW; ow++)
					for (int c = 0; c < g.C; c++)
						for (int r = 0; r < g.R; r++)
							for (int s = 0; s < g.S; s++) {
								int ih = oh * g.sh - g.ph + r * g.dh, iw = ow * g.sw - g.pw + s * g.dw;
								if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
								int xi = ((n * g.C + c) * g.H + ih) * g.W + iw, yi = ((n * g.K + k) * g.OH + oh) * g.OW + ow;
								int wi = ((k * g.C + c) * g.R + r) * g.S + s;
								y[yi] += (double)x[xi] * w[wi];
								dx[xi] += (double)dy[yi] * w[wi];
								dw[wi] += (double)x[xi] * dy[yi];
							}
	for (int i = 0; i < ny; i++) y[i] = std::tanh(y[i] + bias[(i / (g.OH * g.OW)) % g.K]);

	char what[128];
	std::snprintf(what, sizeof what, "N=%d C=%d H=%d W=%d K=%d R=%d S=%d stride %dx%d pad %dx%d dil %dx%d", g.N, g.C, g.H, g.W, g.K,
	              g.R, g.S, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
	std::string base(what);
	const int crs = g.C * g.R * g.S;

	std::vector<float> got(ny);
	implicit(Im2colLoader<false>{x.data(), g}, DenseLoader<true>{w.data(), crs}, EpiNCHW{got.data(), bias.data(), g.K, g.OH * g.OW, ACT_TANH},
	         g.N * g.OH * g.OW, g.K, crs);
	expect_close(("conv fwd " + base).c_str(), got, y);

	got.assign(nx, 0.f);
	implicit(DyColLoader{dy.data(), g}, WcLoader{w.data(), g}, EpiNCHW{got.data(), nullptr, g.C, g.H * g.W, ACT_NONE}, g.N * g.H * g.W, g.C,
	         g.K * g.R * g.S);
	expect_close(("conv bwd data " + base).c_str(), got, dx);

	auto prior = randv(nw);
	got = prior;
	std::vector<double> want(nw);
	for (int i = 0; i < nw; i++) want[i] = dw[i] + 0.5 * prior[i];
	implicit(DyPixLoader{dy.data(), g}, Im2colLoader<true>{x.data(), g}, EpiRowMajor{got.data(), nullptr, crs, 1.f, 0.5f, ACT_NONE}, g.K, crs,
	         g.N * g.OH * g.OW);
	expect_close(("conv bwd filter " + base).c_str(), got, want);
}

static ConvGeom geom(int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int dh, int dw) {
	ConvGeom g{N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, 0, 0};
	g.OH = (H + 2 * ph - dh * (R - 1) - 1) / sh + 1;
	g.OW = (W + 2 * pw - dw * (S - 1) - 1) / sw + 1;
	return g;
}

int main() {
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++) {
			check_gemm(7, 33, 5, ta, tb);
			check_gemm(65, 3, 17, ta, tb);
		}
	check_conv(geom(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1)); // lenet conv1
	check_conv(geom(2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1)); // lenet conv2
	check_conv(geom(3, 2, 9, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1));    // stride 2
	check_conv(geom(1, 3, 33, 7, 3, 3, 5, 2, 1, 2, 1, 1, 2));   // different along H and W
	check_conv(geom(2, 2, 11, 11, 2, 3, 3, 3, 2, 2, 0, 2, 3));  // stride, pad, dilation
	check_conv(geom(1, 1, 1, 1, 3, 5, 5, 2, 2, 2, 2, 1, 1));    // only the centre tap sees the image
	if (failures) {
		std::printf("loaders: %d failures\n", failures);
		return 1;
	}
	std::printf("loaders: ok\n");
	return 0;
}
