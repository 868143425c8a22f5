using System.Globalization;
using CustomModels.Core.Models;

namespace CustomModels.Api.Models;

/// <summary>The list's query parameters, checked all at once so every bad one is reported.</summary>
public sealed record ListQuery(int Page, int PerPage, TrainingStatus? Status, string? Language, string? BaseModel)
{
    public const int DefaultPerPage = 25;
    public const int MaxPerPage = 100;

    public static (ListQuery? Query, Dictionary<string, string> Errors) Parse(IQueryCollection query)
    {
        var errors = new Dictionary<string, string>();
        var (page, perPage) = ParsePaging(query, errors);

        TrainingStatus? status = null;
        if (Single(query, "status", errors) is { } statusText)
        {
            if (TryInt(statusText, out var s) && s is >= 1 and <= 5) status = (TrainingStatus)s;
            else errors["status"] = "Must be between 1 and 5";
        }

        var language = Single(query, "language", errors);
        if (language is not null && !Catalog.IsLanguage(language))
            errors["language"] = "Must be one of: " + string.Join(", ", Catalog.Languages);

        var baseModel = Single(query, "base_model", errors);
        if (baseModel is not null && !Catalog.IsBaseModel(baseModel))
            errors["base_model"] = "Must be one of: " + string.Join(", ", Catalog.BaseModels);

        return errors.Count > 0 ? (null, errors) : (new ListQuery(page, perPage, status, language, baseModel), errors);
    }

    /// <summary>`page` and `per_page`, the same for every list of the API; bad values go to <paramref name="errors"/>.</summary>
    public static (int Page, int PerPage) ParsePaging(IQueryCollection query, Dictionary<string, string> errors)
    {
        var page = 1;
        if (Single(query, "page", errors) is { } pageText && (!TryInt(pageText, out page) || page < 1))
            errors["page"] = "Must be an integer of at least 1";

        var perPage = DefaultPerPage;
        if (Single(query, "per_page", errors) is { } perPageText)
        {
            if (!TryInt(perPageText, out perPage)) errors["per_page"] = "Must be an integer between 1 and 100";
            else if (perPage > MaxPerPage) errors["per_page"] = "Maximum value is 100";
            else if (perPage < 1) errors["per_page"] = "Minimum value is 1";
        }
        return (page, perPage);
    }

    /// <summary>A parameter given at most once (null when absent).</summary>
    public static string? Single(IQueryCollection query, string name, Dictionary<string, string> errors)
    {
        if (!query.TryGetValue(name, out var values)) return null;
        if (values.Count > 1)
        {
            errors[name] = "Must be given once";
            return null;
        }
        return values[0] ?? "";
    }

    static bool TryInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
