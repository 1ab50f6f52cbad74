namespace Lucid.Tensors;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator -(Tensor a) => Ops.Neg(a);
    public static Tensor operator +(Tensor a, float b) => Ops.Affine(a, 1f, b, "add");
    public static Tensor operator +(float a, Tensor b) => Ops.Affine(b, 1f, a, "add");
    public static Tensor operator -(Tensor a, float b) => Ops.Affine(a, 1f, -b, "sub");
    public static Tensor operator -(float a, Tensor b) => Ops.Affine(b, -1f, a, "rsub");
    public static Tensor operator *(Tensor a, float b) => Ops.Affine(a, b, 0f, "mul");
    public static Tensor operator *(float a, Tensor b) => Ops.Affine(b, a, 0f, "mul");
    public static Tensor operator /(Tensor a, float b) => Ops.Affine(a, 1f / b, 0f, "div");

    public Tensor Sum() => Ops.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => Ops.Sum(this, dim, keepDim);
    public Tensor Mean() => Ops.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => Ops.Mean(this, dim, keepDim);
    public Tensor Relu() => Ops.Relu(this);
    public Tensor Exp() => Ops.Exp(this);
    public Tensor Log() => Ops.Log(this);
    public Tensor Sqrt() => Ops.Sqrt(this);
    public Tensor Abs() => Ops.Abs(this);
    public Tensor Pow(float exponent) => Ops.Pow(this, exponent);
    public Tensor Sigmoid() => Ops.Sigmoid(this);
    public Tensor Tanh() => Ops.Tanh(this);
    public Tensor MatMul(Tensor other) => Ops.MatMul(this, other);
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);
    public Tensor Permute(params int[] dims) => Ops.Permute(this, dims);
    public Tensor Transpose(int dim0, int dim1) => Ops.Transpose(this, dim0, dim1);
    public Tensor Flatten(int startDim = 1) => Ops.Flatten(this, startDim);
}
